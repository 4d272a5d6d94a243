// A throwaway PostgreSQL cluster, for the benchmarks and (through test/helpers/postgres.ts) the
// tests: `initdb` in a temporary directory, `pg_ctl` on a free port on 127.0.0.1, trust
// authentication for the one superuser `keyhold`. Nothing is assumed to be running; nothing
// outside the temporary directory is touched. PostgreSQL refuses to run as root, so as root (CI)
// the cluster runs as `nobody`. It keeps PostgreSQL's durability settings (fsync, full-page
// writes, synchronous commit) at their defaults unless `settings` says otherwise: benchmarks
// measure writes; the tests turn fsync off.
//
// Binaries: KEYHOLD_TEST_PG_BIN when set, else `initdb` on the PATH, else Debian's
// /usr/lib/postgresql/<newest>/bin. Types: postgres-cluster.d.mts.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const USER = 'keyhold';
const NOBODY = 65534;

function binDir() {
  if (process.env.KEYHOLD_TEST_PG_BIN) return process.env.KEYHOLD_TEST_PG_BIN;
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

function freePort() {
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

/** Runs `work` with a new connection to `url`, then ends it. */
async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let databases = 0;

/** Starts a cluster; `settings` are extra `-c name=value` server settings (none by default). */
export async function startPostgres({ settings = {} } = {}) {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // `nobody` must be able to reach its directory; the data directory itself is made by initdb.
  chmodSync(dir, 0o755);
  if (asRoot) chownSync(dir, NOBODY, NOBODY);
  const run = (command, args) => {
    const [file, argv] = asRoot
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', join(bin, command), ...args]]
      : [join(bin, command), args];
    execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  };
  // --no-sync only skips initdb's own flush of the new files; the server's fsync is `settings`'.
  run('initdb', ['-D', data, '-U', USER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=200',
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  const start = () =>
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  start();
  const postmaster = () => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const url = (database = 'postgres') => `postgres://${USER}@127.0.0.1:${port}/${database}`;
  const query = (sql) => withClient(url(), async (client) => (await client.query(sql)).rows);

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
    dir,
    async createDatabase(options = {}) {
      const name = `keyhold_${process.pid}_${++databases}`;
      // A copy keeps its template's collation.
      const clauses = options.template
        ? `template ${options.template}`
        : options.icuLocale
          ? `template template0 locale_provider icu icu_locale '${options.icuLocale}'`
          : '';
      await withClient(url(), async (client) => {
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`create database ${name} ${clauses}`);
            return;
          } catch (error) {
            // 55006: the template's last session is still ending (a pool closed a moment ago).
            if (error?.code !== '55006' || attempt === 50) throw error;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
      });
      return url(name);
    },
    async show(names) {
      const out = {};
      for (const name of names) out[name] = (await query(`show ${name}`))[0][name];
      return out;
    },
    version: async () => (await query('show server_version'))[0].server_version,
    cpuMicros: () => clusterCpuMicros(postmaster()),
    pause() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    resume: start,
    stop,
  };
}

/** Fields of /proc/PID/stat after the command name, or undefined when the process is gone. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

const TICK_MICROS = 10_000; // clock ticks of 10 ms

function clusterCpuMicros(postmaster) {
  const own = statFields(postmaster);
  if (!own) throw new Error(`the PostgreSQL postmaster (pid ${postmaster}) is gone`);
  // utime, stime, cutime, cstime: the 14th to 17th fields of stat, 12th to 15th after the name.
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    // The parent pid is the 4th field, the 2nd after the name.
    if (fields && Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * TICK_MICROS;
}
