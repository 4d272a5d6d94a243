import pg from 'pg';
import { type PostgresCluster, startPostgres as startCluster } from '../../bench/postgres-cluster.mjs';

export type { DatabaseOptions, PostgresCluster } from '../../bench/postgres-cluster.mjs';

/**
 * A throwaway PostgreSQL cluster for a test file (bench/postgres-cluster.mjs, which the
 * benchmarks start too): `initdb` in a temporary directory, `pg_ctl` on a free port on
 * 127.0.0.1, trust authentication for the one superuser `keyhold`; as root, run as `nobody`.
 * Nothing is assumed to be running. fsync off: a test cluster is thrown away, and durability
 * across power loss is not what these tests measure (SIGKILL of keyhold does not lose what
 * PostgreSQL acknowledged).
 */
export const startPostgres = (): Promise<PostgresCluster> =>
  startCluster({ settings: { fsync: 'off', full_page_writes: 'off' } });

/** A connection of the test's own to `url`, as an operator's psql would be: end it when done. */
export async function connectAsAdmin(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Runs `text` on a connection of the test's own to `url`; answers its rows. */
export async function queryAsAdmin<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values?: unknown[],
): Promise<R[]> {
  const client = await connectAsAdmin(url);
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}
