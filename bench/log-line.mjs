#!/usr/bin/env node
// CPU of one request log line through pino and sonic-boom into a pipe (another process reads
// it), 50 lines per event-loop turn as under load: sonic-boom's default maxWrite against the
// 4 KiB Keyhold's logger uses (src/main.ts createLogger). CPU is this process's, all threads.
//
// Then the way Keyhold logs: through pino's transport thread (to /dev/null), a few lines per
// turn as a server logs between its requests, each turn's lines handed to the transport as they
// come (a wake of its thread per turn) against held for 10 ms and handed on together
// (src/log-lines.ts, of the build in dist/): CPU per line of the logging thread and of the whole
// process (the transport thread too).
//
//   npm run build && node bench/log-line.mjs [--lines 300000] [--per-turn 5]
import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { coalescedLines } from '../dist/log-lines.js';
import { cpuMicros, parseArgs } from './lib.mjs';

const { lines, 'per-turn': perTurn } = parseArgs({ lines: 300_000, 'per-turn': 5 });
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

async function cpuThroughTransport(held) {
  const transport = pino.transport({
    target: 'pino/file',
    options: { destination: '/dev/null', maxLength: 16 * 1024 * 1024, maxWrite: 4096 },
  });
  await new Promise((resolve) => transport.once('ready', resolve));
  const dest = held ? coalescedLines(transport, 10) : transport;
  const log = pino({ level: 'info', base: { service: 'keyhold' } }, dest).child({}, { redact: [] });
  const run = () =>
    new Promise((resolve) => {
      let n = 0;
      const turn = () => {
        for (let i = 0; i < perTurn; i++) log.info(LINE, 'request');
        n += perTurn;
        if (n < lines) setImmediate(turn);
        else resolve();
      };
      turn();
    });
  await run(); // warm-up
  const thread = cpuMicros(process.pid, { mainThread: true });
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  const threadUsed = cpuMicros(process.pid, { mainThread: true }) - thread;
  dest.flushSync();
  transport.end();
  return { thread: threadUsed / lines, process: (used.user + used.system) / lines };
}

console.log(`through the transport thread, ${perTurn} lines per turn:  logging thread   process (µs/line)`);
for (const [name, held] of [
  ['each turn handed on', false],
  ['held 10 ms (keyhold)', true],
]) {
  const cpu = await cpuThroughTransport(held);
  console.log(
    `${name.padEnd(38)} ${cpu.thread.toFixed(2).padStart(6)}   ${cpu.process.toFixed(2).padStart(14)}`,
  );
}
