import { describe, expect, it } from 'vitest';
import { coalescedLines, type LineSink } from '../../src/log-lines.js';

/** A sink that records what reaches it, as pino's transport stream would receive it. */
function recordingSink() {
  const writes: string[] = [];
  const calls: string[] = [];
  const sink: LineSink = {
    write(chunk) {
      writes.push(chunk);
      return true;
    },
    flush(callback) {
      calls.push('flush');
      callback();
    },
    flushSync() {
      calls.push('flushSync');
    },
  };
  return { sink, writes, calls };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('log lines held for the transport thread', () => {
  it('hands the lines of several turns on together, in order, once the hold is over', async () => {
    const { sink, writes } = recordingSink();
    const lines = coalescedLines(sink, 20);
    lines.write('a\n');
    await new Promise((resolve) => setImmediate(resolve));
    lines.write('b\n');
    lines.write('c\n');
    expect(writes).toEqual([]);
    await sleep(60);
    expect(writes).toEqual(['a\nb\nc\n']);
    lines.write('d\n');
    await sleep(60);
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('hands held lines on before the sink flushes (pino flush and fatal)', async () => {
    const { sink, writes, calls } = recordingSink();
    const lines = coalescedLines(sink, 10_000);
    lines.write('x\n');
    lines.flushSync();
    expect(writes).toEqual(['x\n']);
    expect(calls).toEqual(['flushSync']);
    lines.write('y\n');
    await new Promise<void>((resolve) => lines.flush(() => resolve()));
    expect(writes).toEqual(['x\n', 'y\n']);
    expect(calls).toEqual(['flushSync', 'flush']);
  });

  it('does not hold more than 64 KiB of lines', () => {
    const { sink, writes } = recordingSink();
    const lines = coalescedLines(sink, 10_000);
    const line = `${'z'.repeat(1023)}\n`;
    for (let i = 0; i < 63; i++) lines.write(line);
    expect(writes).toEqual([]);
    lines.write(line);
    expect(writes).toEqual([line.repeat(64)]);
  });
});
