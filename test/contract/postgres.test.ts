import type pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { NODE_STATE_TABLES } from '../../src/storage/sql/table-order.js';
import { connectAsAdmin, type PostgresCluster, startPostgres } from '../helpers/postgres.js';
import { concurrencyContract } from './concurrency-contract.js';
import { oauthStorageContract } from './oauth-storage-contract.js';
import { replicaLogContract } from './replica-log-contract.js';
import { storageContract } from './storage-contract.js';

let cluster: PostgresCluster;
let url: string;
let admin: pg.Client;
let tables: string[];
beforeAll(async () => {
  cluster = await startPostgres();
  // Text collated as on a production cluster made with a language's locale, not the test
  // cluster's C locale: nothing may depend on the cluster sorting text byte by byte.
  url = await cluster.createDatabase({ icuLocale: 'en-US' });
  // Migrated once, from empty, as a new deployment is.
  await (await openPostgres(url)).close();
  admin = await connectAsAdmin(url);
  const { rows } = await admin.query<{ name: string }>(
    `select quote_ident(tablename) as name from pg_tables
     where schemaname = current_schema() and tablename not like 'kysely\\_%'`,
  );
  // The node-state tables (the change counter's one row) are left as they are: they coordinate
  // running nodes, and only ever move forward.
  tables = rows.map((r) => r.name).filter((name) => !(NODE_STATE_TABLES as readonly string[]).includes(name));
  // Each test starts from the migrated database emptied (below), which is that database only
  // while the migrations write no rows into an empty one.
  for (const table of tables) {
    expect((await admin.query(`select count(*)::int as n from ${table}`)).rows[0].n, table).toBe(0);
  }
}, 120_000);
afterAll(async () => {
  await admin?.end();
  cluster?.stop();
});

/** The migrated database, as empty as the migrations left it (half the time of a copy). */
const fresh = async () => {
  await admin.query(`truncate ${tables.join(', ')} restart identity`);
  return url;
};
const open = async () => openPostgres(await fresh());
storageContract('postgres', open);
oauthStorageContract('postgres', open);
// Several pools on one database: several central nodes. Small pools, so that the nodes' many
// parallel calls also wait for connections, as a loaded node's do.
concurrencyContract('postgres', async (count) => {
  const shared = await fresh();
  return Promise.all(Array.from({ length: count }, () => openPostgres(shared, { poolSize: 4 })));
});
replicaLogContract('postgres', async (count) => {
  const shared = await fresh();
  return Promise.all(Array.from({ length: count }, () => openPostgres(shared, { poolSize: 4 })));
});
