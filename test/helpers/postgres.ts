import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL cluster for a test file: `initdb` in a temporary directory, `pg_ctl`
 * on a free port on 127.0.0.1, trust authentication for the one superuser `keyhold`. Nothing is
 * assumed to be running; nothing outside the temporary directory is touched. PostgreSQL refuses
 * to run as root, so as root (CI) the cluster runs as `nobody`.
 *
 * Binaries: `KEYHOLD_TEST_PG_BIN` when set, else `initdb` on the PATH, else Debian's
 * `/usr/lib/postgresql/<newest>/bin`.
 */
export interface PostgresCluster {
  /** A URL for `database` on this cluster (default: the `postgres` maintenance database). */
  url(database?: string): string;
  /** A new, empty database with a unique name (see DatabaseOptions); answers its URL. */
  createDatabase(options?: DatabaseOptions): Promise<string>;
  /** Shuts the server down (`pg_ctl stop -m fast`: sessions end with 57P01), keeping its data. */
  pause(): void;
  /** Starts the server again after `pause`, on the same port. */
  resume(): void;
  stop(): void;
}

export interface DatabaseOptions {
  /**
   * Copy this database (by name) instead of an empty one: a schema migrated once is cloned for
   * each test. Nobody may be connected to it while it is copied.
   */
  template?: string;
  /**
   * An ICU locale (`en-US`) to collate text by, as a production cluster made with a language's
   * locale does; without it the database has the cluster's C locale (byte order). A copy of a
   * template has the template's.
   */
  icuLocale?: string;
}

/** The database name of a URL this cluster made. */
export const databaseName = (url: string) => new URL(url).pathname.slice(1);

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

const USER = 'keyhold';
let databases = 0;

function binDir(): string {
  const configured = process.env.KEYHOLD_TEST_PG_BIN;
  if (configured) return configured;
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return join(onPath, '..');
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) {
    throw new Error(
      'PostgreSQL is not installed (no initdb): apt-get install postgresql, or set KEYHOLD_TEST_PG_BIN',
    );
  }
  return join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // `nobody` must be able to reach its directory; the data directory itself is made by initdb.
  chmodSync(dir, 0o755);
  if (asRoot) chownSync(dir, 65534, 65534);
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', join(bin, command), ...args]]
      : [join(bin, command), args];
    execFileSync(file, argv as string[], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  };
  run('initdb', ['-D', data, '-U', USER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  // fsync off: a test cluster is thrown away, and durability across power loss is not what
  // these tests measure (SIGKILL of keyhold does not lose what PostgreSQL acknowledged).
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
  const start = () =>
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  start();
  const url = (database = 'postgres') => `postgres://${USER}@127.0.0.1:${port}/${database}`;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.once('exit', stop);
  return {
    url,
    async createDatabase(options = {}) {
      const name = `keyhold_${process.pid}_${++databases}`;
      // A copy keeps its template's collation.
      const clauses = options.template
        ? `template ${options.template}`
        : options.icuLocale
          ? `template template0 locale_provider icu icu_locale '${options.icuLocale}'`
          : '';
      const client = await connectAsAdmin(url());
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`create database ${name} ${clauses}`);
            break;
          } catch (error) {
            // 55006: the template's last session is still ending (a pool closed a moment ago).
            if ((error as { code?: string }).code !== '55006' || attempt === 50) throw error;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
      } finally {
        await client.end();
      }
      return url(name);
    },
    pause() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    resume: start,
    stop,
  };
}
