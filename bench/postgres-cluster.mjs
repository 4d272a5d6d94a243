// A throwaway PostgreSQL cluster for a benchmark, the plain-ESM twin of test/helpers/postgres.ts:
// `initdb` in a temporary directory, `pg_ctl` on a free port on 127.0.0.1, trust authentication
// for the one superuser `keyhold`; as root the cluster runs as `nobody` (PostgreSQL refuses root).
// Unlike the test cluster it keeps PostgreSQL's durability settings (fsync, full-page writes,
// synchronous commit) at their defaults unless told otherwise, since benchmarks measure writes.
//
// Binaries: KEYHOLD_TEST_PG_BIN when set, else `initdb` on the PATH, else Debian's
// /usr/lib/postgresql/<newest>/bin.
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
    console.error('PostgreSQL is needed (no initdb): apt-get install postgresql, or set KEYHOLD_TEST_PG_BIN');
    process.exit(2);
  }
  return join(root, versions[0], 'bin');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster. `settings` are extra `-c name=value` server settings (e.g. `{ fsync: 'off' }`);
 * none by default. Returns its URLs, a way to create databases, its settings as the server reports
 * them, the CPU its processes have used, and `stop`.
 */
export async function startPostgres({ settings = {} } = {}) {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-bench-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  chmodSync(dir, 0o755);
  if (asRoot) chownSync(dir, NOBODY, NOBODY);
  const run = (command, args) => {
    const [file, argv] = asRoot
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', join(bin, command), ...args]]
      : [join(bin, command), args];
    execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  };
  // --no-sync only skips initdb's own flush of the new files; the server's fsync stays on.
  run('initdb', ['-D', data, '-U', USER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=200',
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const url = (database = 'postgres') => `postgres://${USER}@127.0.0.1:${port}/${database}`;

  const query = async (sql) => {
    const client = new pg.Client({ connectionString: url() });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.once('exit', stop);

  let databases = 0;
  return {
    url,
    dir,
    async createDatabase() {
      const name = `keyhold_bench_${process.pid}_${++databases}`;
      await query(`create database ${name}`);
      return url(name);
    },
    /** The named settings as the running server reports them. */
    async show(names) {
      const out = {};
      for (const name of names) out[name] = (await query(`show ${name}`))[0][name];
      return out;
    },
    version: async () => (await query('show server_version'))[0].server_version,
    /**
     * User + system CPU, in µs, used so far by the cluster: the postmaster, its live children
     * (backends, WAL writer, checkpointer, autovacuum…) and the children it has already reaped
     * (a backend whose pooled connection closed). Linux /proc.
     */
    cpuMicros: () => clusterCpuMicros(postmaster),
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
