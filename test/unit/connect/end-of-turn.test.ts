import { describe, expect, it } from 'vitest';
import { endOfTurn, MAX_CALLS_PER_TURN } from '../../../src/connect-server/central/end-of-turn.js';

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

  it('lets at most MAX_CALLS_PER_TURN calls go in one turn, and the rest in the next, in order', async () => {
    const released: number[] = [];
    const calls = Array.from({ length: MAX_CALLS_PER_TURN + 1 }, (_, n) =>
      endOfTurn().then(() => released.push(n)),
    );
    const all = calls.map((_, n) => n);
    // Queued after the first release, in the same check phase: it sees only the first group.
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toEqual(all.slice(0, MAX_CALLS_PER_TURN));
    await Promise.all(calls);
    expect(released).toEqual(all);
  });

  it('lets calls of a later turn go only after those still waiting from an earlier one', async () => {
    const released: string[] = [];
    const earlier = Array.from({ length: MAX_CALLS_PER_TURN + 1 }, () =>
      endOfTurn().then(() => released.push('earlier')),
    );
    await new Promise((resolve) => setImmediate(resolve));
    const later = endOfTurn().then(() => released.push('later'));
    await Promise.all([...earlier, later]);
    expect(released.at(-2)).toBe('earlier');
    expect(released.at(-1)).toBe('later');
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
