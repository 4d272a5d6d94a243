import { describe, expect, it } from 'vitest';
import { durationText, syncState } from '../../../src/connect-server/node/sync-state.js';

/** The node's sync state as a function of the sync's facts and an injected clock. */

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-07T04:00:00.000Z');
const bounds = { maxStalenessMs: HOUR, silenceMs: 15_000 };

describe('sync state', () => {
  it('is NOT_SYNCED without a replica, whatever else is true', () => {
    expect(syncState({ hasReplica: false, connected: true, lastMarkAt: T0 }, bounds, T0)).toMatchObject({
      state: 'NOT_SYNCED',
      serving: false,
    });
    expect(syncState({ hasReplica: true, connected: true, lastMarkAt: undefined }, bounds, T0).state).toBe(
      'NOT_SYNCED',
    );
  });

  it('walks SYNCED → STALE since the last mark → NOT_SYNCED as the clock moves past the bounds', () => {
    const facts = { hasReplica: true, connected: true, lastMarkAt: T0 };
    expect(syncState(facts, bounds, T0 + 15_000)).toEqual({ state: 'SYNCED', since: T0, serving: true });
    // Connected but silent past the window: not in sync any more.
    expect(syncState(facts, bounds, T0 + 15_001)).toMatchObject({ state: 'STALE', since: T0, serving: true });
    const disconnected = { ...facts, connected: false };
    expect(syncState(disconnected, bounds, T0 + 1)).toEqual({
      state: 'STALE',
      since: T0,
      serving: true,
      message: 'stale since 2026-12-07T04:00:00.000Z',
    });
    expect(syncState(disconnected, bounds, T0 + HOUR).state).toBe('STALE');
    const past = syncState(disconnected, bounds, T0 + HOUR + 1);
    expect(past).toMatchObject({ state: 'NOT_SYNCED', serving: false, since: T0 });
    expect(past.message).toBe(
      'this Connect server has not heard from the central service since 2026-12-07T04:00:00.000Z, longer than --max-staleness (1h) allows',
    );
    // Back in sync: a new mark on a connected stream.
    expect(syncState({ ...facts, lastMarkAt: T0 + 2 * HOUR }, bounds, T0 + 2 * HOUR + 10).state).toBe(
      'SYNCED',
    );
  });

  it('a wall clock set back does not stretch --max-staleness: the age is the larger of the wall and the monotonic one', () => {
    const disconnected = { hasReplica: true, connected: false, lastMarkAt: T0 };
    // Two hours after the mark, the wall clock was stepped back a day.
    const now = T0 + 2 * HOUR - 24 * HOUR;
    expect(syncState({ ...disconnected, markAgeMs: 2 * HOUR }, bounds, now)).toMatchObject({
      state: 'NOT_SYNCED',
      serving: false,
    });
    // A connected stream is not SYNCED on a stale mark either.
    expect(syncState({ ...disconnected, connected: true, markAgeMs: 20_000 }, bounds, T0).state).toBe(
      'STALE',
    );
    // A wall clock set forward still counts.
    expect(syncState({ ...disconnected, markAgeMs: 1 }, bounds, T0 + HOUR + 1).state).toBe('NOT_SYNCED');
  });

  it('with --max-staleness 0 refuses as soon as it is not in sync', () => {
    const zero = { maxStalenessMs: 0, silenceMs: 15_000 };
    expect(syncState({ hasReplica: true, connected: true, lastMarkAt: T0 }, zero, T0 + 1).state).toBe(
      'SYNCED',
    );
    const off = syncState({ hasReplica: true, connected: false, lastMarkAt: T0 }, zero, T0 + 1);
    expect(off).toMatchObject({ state: 'NOT_SYNCED', serving: false });
    expect(off.message).toContain('--max-staleness 0');
  });

  it('writes durations as the flags take them', () => {
    expect([HOUR, 90 * 60_000, 45_000, 2 * 24 * HOUR, 0].map(durationText)).toEqual([
      '1h',
      '90m',
      '45s',
      '2d',
      '0s',
    ]);
  });
});
