#!/usr/bin/env node
// CPU of one request log line through pino and sonic-boom into a pipe (another process reads
// it), 50 lines per event-loop turn as under load: sonic-boom's default maxWrite against the
// 4 KiB Keyhold's logger uses (src/main.ts createLogger). CPU is this process's, all threads.
//
//   node bench/log-line.mjs [--lines 300000]
import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { parseArgs } from './lib.mjs';

const { lines } = parseArgs({ lines: 300_000 });
const LINE = {
  reqId: '3f1c7a2e-5b7d-4c8e-9f10-123456789abc',
  method: 'GET',
  path: '/v1/vaults/4ss80d0ckcu37wbdmj0tjyn294/items/6n0loe3wudvvj1ifj4nyosqkyv',
  status: 200,
  ms: 3,
};

async function cpuPerLine(maxWrite) {
  const reader = spawn('sh', ['-c', 'cat > /dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const dest = pino.destination({
    dest: reader.stdin._handle.fd,
    sync: false,
    maxLength: 16 * 1024 * 1024,
    ...(maxWrite ? { maxWrite } : {}),
  });
  const log = pino({ level: 'info', base: { service: 'keyhold' } }, dest).child({}, { redact: [] });
  const run = () =>
    new Promise((resolve) => {
      let n = 0;
      const turn = () => {
        for (let i = 0; i < 50; i++) log.info(LINE, 'request');
        n += 50;
        if (n < lines) setImmediate(turn);
        else resolve();
      };
      turn();
    });
  await run(); // warm-up
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  dest.flushSync();
  reader.stdin.end();
  return (used.user + used.system) / lines;
}

console.log(`request log line, ${lines} lines, node ${process.version}`);
for (const [name, maxWrite] of [
  ['sonic-boom default maxWrite (16 KiB)', 0],
  ['maxWrite 4 KiB (keyhold)', 4096],
]) {
  console.log(`${name.padEnd(38)} ${(await cpuPerLine(maxWrite)).toFixed(2).padStart(6)} µs/line`);
}
