// Start-up of the built CLI, as a user meets it: the wall time of whole processes, from spawn to
// exit, for `keyhold --version`, `keyhold --help` and `keyhold vault list` against a running
// service (on this machine, loopback), beside bare `node -e 0` (Node's own start-up, the floor no
// CLI written for Node goes under) in the same run. The commands take turns, round after round,
// so a machine that slows down meanwhile slows them all; each one's median is printed, and its
// median excess over the bare node of the same round.
//
//   npm run build && node bench/cli-start.mjs [--runs 30] [--warmup 3]
//
// The same figures with hyperfine, against a service you started (KEYHOLD_ADDR, KEYHOLD_TOKEN):
//   hyperfine -N --warmup 3 'node -e 0' 'node dist/cli/main.cjs --version' 'node dist/cli/main.cjs vault list'
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { api, keyhold, ROOT, startLogged, stop } from './lib.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '30' }, warmup: { type: 'string', default: '3' } },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);

const dir = mkdtempSync(join(tmpdir(), 'keyhold-cli-start-'));
const dataDir = join(dir, 'data');
const init = JSON.parse(
  execFileSync(process.execPath, keyhold('init', '--data-dir', dataDir, '--json'), { encoding: 'utf8' }),
);
const { child: service, line } = await startLogged(
  keyhold('serve', '--data-dir', dataDir, '--port', '0'),
  'keyhold listening',
);
await api(line.url, init.adminToken, 'POST', '/vaults', { name: 'bench' });
const env = { ...process.env, KEYHOLD_ADDR: line.url, KEYHOLD_TOKEN: init.adminToken };

const commands = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'keyhold --version', args: keyhold('--version') },
  { name: 'keyhold --help', args: keyhold('--help') },
  { name: 'keyhold vault list', args: keyhold('vault', 'list') },
];

/** One whole process, spawn to exit, in ms; a failure stops the benchmark (it would time an error). */
function time(command) {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, command.args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`${command.name} exited ${run.status}: ${run.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

try {
  for (let i = 0; i < warmup; i++) for (const c of commands) time(c);
  const times = new Map(commands.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) for (const c of commands) times.get(c.name).push(time(c));
  const bare = times.get('node -e 0');
  console.log(`node ${process.version}, ${runs} rounds (after ${warmup} unmeasured), wall ms spawn to exit`);
  console.log('command                 median     min     max   median over node -e 0');
  for (const c of commands) {
    const xs = times.get(c.name);
    const over = c.name === 'node -e 0' ? '' : `+${median(xs.map((x, i) => x - bare[i])).toFixed(1)}`;
    console.log(
      `${c.name.padEnd(22)} ${median(xs).toFixed(1).padStart(7)} ${Math.min(...xs)
        .toFixed(1)
        .padStart(7)} ${Math.max(...xs)
        .toFixed(1)
        .padStart(7)}   ${over}`,
    );
  }
} finally {
  await stop(service);
  rmSync(dir, { recursive: true, force: true });
}
