import { describe, expect, it } from 'vitest';
import { endOfTurn } from '../../../src/connect-server/end-of-turn.js';

describe('endOfTurn', () => {
  it('gives every caller of one turn the same wait, and a new one in the next turn', async () => {
    const first = endOfTurn();
    expect(endOfTurn()).toBe(first);
    await first;
    const next = endOfTurn();
    expect(next).not.toBe(first);
    await next;
  });

  it('resolves after the I/O callbacks and timers already due, in the check phase', async () => {
    const seen: string[] = [];
    // An immediate queued first runs first; the wait resolves in the same check phase, after it.
    setImmediate(() => seen.push('immediate queued before'));
    await endOfTurn().then(() => seen.push('end of turn'));
    expect(seen).toEqual(['immediate queued before', 'end of turn']);
  });

  it('runs the continuations of one turn back to back, in call order', async () => {
    const order: number[] = [];
    const calls = [1, 2, 3].map(async (n) => {
      await endOfTurn();
      order.push(n);
      await Promise.resolve();
      order.push(n * 10);
    });
    await Promise.all(calls);
    expect(order).toEqual([1, 2, 3, 10, 20, 30]);
  });
});
