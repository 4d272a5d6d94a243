import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { batchedEnds } from '../../../src/http/connect/batched-ends.js';

/** A stand-in response that records when it was ended, and with what. */
function response(name: string, log: string[], fail = false) {
  return {
    end(body?: string) {
      if (fail) throw new Error(`${name} cannot end`);
      log.push(`${name} ended${body === undefined ? '' : ` with ${body}`}`);
    },
    destroy() {
      log.push(`${name} destroyed`);
    },
  } as unknown as ServerResponse;
}

describe('batchedEnds', () => {
  it('ends the responses of one run of continuations after the run, back to back, in order', async () => {
    const log: string[] = [];
    const end = batchedEnds(() => {});
    const a = response('a', log);
    const b = response('b', log);
    await Promise.resolve().then(async () => {
      end(a, 'A');
      // Continuations after the first end still run before any response goes out.
      await Promise.resolve();
      log.push('continuation');
      end(b);
    });
    expect(log).toEqual(['continuation']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['continuation', 'a ended with A', 'b ended']);
  });

  it('destroys a response that fails to end, reports it, and still ends the others', async () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    const end = batchedEnds((error) => errors.push(error));
    end(response('a', log, true), 'A');
    end(response('b', log), 'B');
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['a destroyed', 'b ended with B']);
    expect(errors).toEqual([new Error('a cannot end')]);
  });

  it('starts a new batch after a flush', async () => {
    const log: string[] = [];
    const end = batchedEnds(() => {});
    end(response('a', log));
    await new Promise((resolve) => setImmediate(resolve));
    end(response('b', log));
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['a ended', 'b ended']);
  });
});
