// Shared helpers for the benchmarks: start real keyhold processes, seed data through the admin
// API, run wrk, and read a process's RSS. Plain ESM over dist/ so a bench needs only `npm ci`.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.cjs');

/** The built CLI of a checkout: `dist/cli/main.cjs`, or `main.js` in a checkout built before it was one CommonJS file. */
export const cliOf = (checkout) => {
  const bundle = join(checkout, 'dist', 'cli', 'main.cjs');
  return existsSync(bundle) ? bundle : join(checkout, 'dist', 'cli', 'main.js');
};
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export function requireWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    if (error.code === 'ENOENT') {
      console.error('wrk is needed as the load generator: apt-get install wrk');
      process.exit(2);
    }
  }
}

/**
 * Starts a process and resolves once a JSON log line with `msg` appears; returns that line. With
 * `problems`, log lines after it that carry a 4xx/5xx status or a warn/error level are kept in
 * the returned `problems` (the first 20, and a count of all by status or level).
 */
export function startLogged(args, msg, env = {}, { problems = false, timeoutMs = 20_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let buffer = '';
    let found = false;
    const seen = { lines: [], counts: {} };
    const timer = setTimeout(
      () => reject(new Error(`${args.join(' ')}: no "${msg}" within ${timeoutMs / 1000} s\n${buffer}`)),
      timeoutMs,
    );
    child.stdout.on('data', (chunk) => {
      if (found) {
        if (problems) keepProblems(String(chunk), seen);
        return; // keep draining, stop parsing
      }
      buffer += chunk;
      for (const line of buffer.split('\n')) {
        if (!line.includes(`"msg":"${msg}"`)) continue;
        found = true;
        clearTimeout(timer);
        resolve({ child, line: JSON.parse(line), output: buffer, ...(problems ? { problems: seen } : {}) });
      }
    });
    child.stderr.on('data', (chunk) => {
      buffer += chunk;
    });
    child.on('exit', (code) => {
      children.delete(child);
      if (!found) reject(new Error(`${args.join(' ')} exited ${code}\n${buffer}`));
    });
  });
}

/** Log lines with a 4xx/5xx `status` or a warn/error `level`, looked for only in chunks that may hold one. */
function keepProblems(chunk, seen) {
  if (!/"status":[45]|"level":[45]/.test(chunk)) return;
  // A line cut between two chunks is missed; counts are a floor, the kept lines are samples.
  for (const line of chunk.split('\n')) {
    const m = /"status":([45]\d\d)|"level":([45]0)/.exec(line);
    if (!m) continue;
    const key = m[1] ? `status ${m[1]}` : `level ${m[2]}`;
    seen.counts[key] = (seen.counts[key] ?? 0) + 1;
    if (seen.lines.length < 20) seen.lines.push(line);
  }
}

export const keyhold = (...args) => [CLI, ...args];

export async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function api(base, token, method, path, body) {
  const res = await fetch(`${base}/api/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * A data directory with one vault, one item, one Connect server (credentials file written) and a
 * read token for it, made by the build whose CLI is `cli` (this checkout's by default). Returns
 * what a benchmark needs to start the hostings.
 *
 * `databaseUrl` puts the data in that (empty) PostgreSQL database instead, with the master key in
 * a file beside the credentials; `permissions` are the token's (default read only).
 */
export async function seed(cli = CLI, { databaseUrl, permissions = ['read'] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-bench-'));
  const dataDir = join(dir, 'data');
  // The arguments every `init` and `serve` of this data set takes besides --data-dir.
  const storeArgs = databaseUrl
    ? ['--database-url', databaseUrl, '--master-key-file', join(dir, 'master.key')]
    : [];
  const init = JSON.parse(
    execFileSync(process.execPath, [cli, 'init', '--data-dir', dataDir, ...storeArgs, '--json'], {
      encoding: 'utf8',
    }),
  );
  const { child, line } = await startLogged(
    [cli, 'serve', '--data-dir', dataDir, ...storeArgs, '--port', '0'],
    'keyhold listening',
  );
  const token = init.adminToken;
  const vault = await api(line.url, token, 'POST', '/vaults', { name: 'bench' });
  const item = await api(line.url, token, 'POST', `/vaults/${vault.id}/items`, {
    title: 'Postgres (bench)',
    category: 'DATABASE',
    tags: ['bench'],
    urls: [{ href: 'postgres://db.internal:5432/app', primary: true }],
    fields: [
      { purpose: 'USERNAME', value: 'app' },
      { purpose: 'PASSWORD', generate: true },
      { label: 'host', value: 'db.internal' },
      { label: 'port', value: '5432' },
    ],
  });
  const server = await api(line.url, token, 'POST', '/servers', { name: 'bench', vaults: [vault.id] });
  const credentialsFile = join(dir, 'credentials.json');
  writeFileSync(credentialsFile, JSON.stringify(server.credentials), { mode: 0o600 });
  const issued = await api(line.url, token, 'POST', `/servers/${server.id}/tokens`, {
    name: 'bench',
    vaults: [{ vaultId: vault.id, permissions }],
  });
  await stop(child);
  return {
    dataDir,
    storeArgs,
    vaultId: vault.id,
    credentialsFile,
    connectToken: issued.token,
    path: `/v1/vaults/${vault.id}/items/${item.id}`,
  };
}

/**
 * `keyhold serve` (of the build whose CLI is `cli`) on the seeded data directory with its Connect
 * server hosted in process; returns the process, its listening line and the URL of the seeded
 * item on the Connect listener (`problems`: see startLogged).
 */
export async function startInProcess(s, cli = CLI, { problems = false } = {}) {
  const central = await startLogged(
    [
      cli,
      'serve',
      '--data-dir',
      s.dataDir,
      ...(s.storeArgs ?? []),
      '--port',
      '0',
      '--connect',
      `${s.credentialsFile}:0`,
    ],
    'keyhold listening',
    {},
    { problems },
  );
  return { ...central, itemUrl: central.line.connectUrls[0] + s.path };
}

/** The seeded item as a Connect server returns it (the JSON a bare baseline answers with). */
export async function itemBody(itemUrl, token) {
  return (await fetch(itemUrl, { headers: { authorization: `Bearer ${token}` } })).text();
}

/** A bare node:http server answering every request with `body` (the baseline). */
export function startBare(body) {
  const script = `
    const http = require('node:http');
    const body = ${JSON.stringify(body)};
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'bare listening', url: 'http://127.0.0.1:' + server.address().port })));
  `;
  return startLogged(['-e', script], 'bare listening');
}

/**
 * Runs wrk and returns requests/s, p50 and p99 latency in ms, the request count and wrk's socket
 * errors (connect, read, write, timeout). Asynchronous on purpose: this process must keep draining
 * the servers' log pipes while wrk runs, or their logger blocks on a full pipe and the benchmark
 * measures the harness. A non-2xx answer throws, unless `allowFailures`: then their count is
 * returned as `failed`. `timeout` (s) is how long wrk waits for an answer before counting a
 * timeout instead of a latency (wrk's default: 2 s).
 */
export async function wrk(url, { connections, seconds, token, post, allowFailures = false, timeout }) {
  const { stdout: out } = await promisify(execFile)(
    'wrk',
    [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--latency',
      ...(timeout ? ['--timeout', `${timeout}s`] : []),
      ...(token ? ['-H', `Authorization: Bearer ${token}`] : []),
      ...(post ? ['-s', postScript(post)] : []),
      url,
    ],
    { encoding: 'utf8' },
  );
  const ms = (label) => {
    const m = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) throw new Error(`no ${label}% latency in wrk output:\n${out}`);
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx && !allowFailures) throw new Error(`${non2xx[1]} failed responses from ${url}:\n${out}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: ms('50'),
    p99: ms('99'),
    requests: Number(/(\d+) requests in/.exec(out)?.[1]),
    failed: Number(non2xx?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** A wrk Lua script that POSTs `body` with `headers` (wrk takes request bodies only from Lua). */
function postScript({ body, headers }) {
  const file = join(mkdtempSync(join(tmpdir(), 'keyhold-wrk-')), 'post.lua');
  const lines = ['wrk.method = "POST"', `wrk.body = ${JSON.stringify(body)}`];
  for (const [name, value] of Object.entries(headers))
    lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Resident set size of a process, in MiB (Linux). */
export function rssMiB(pid) {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * User + system CPU a process has used so far, in µs (Linux): of all its threads, or with
 * `mainThread` of its main thread alone (the serving thread).
 */
export function cpuMicros(pid, { mainThread = false } = {}) {
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  // After the command name in parentheses: utime and stime are the 12th and 13th fields.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000; // clock ticks of 10 ms
}

export function parseArgs(defaults, argv = process.argv.slice(2)) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    if (!(key in defaults)) {
      console.error(
        `unknown option ${argv[i]}; options: ${Object.keys(defaults)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
      process.exit(2);
    }
    out[key] = Number(argv[i + 1]);
  }
  return out;
}
