import { STREAM_SILENCE_MS } from '../wire/replica-protocol.js';

/** A node's sync state, as `/health` reports it (the names 1Password Connect uses). */
export type SyncStateName = 'SYNCED' | 'STALE' | 'NOT_SYNCED';

export interface SyncState {
  state: SyncStateName;
  /** When the replica last applied a mark (epoch ms): the data it serves is as of then. */
  since?: number;
  /** Whether reads may be served from the replica. */
  serving: boolean;
  /** For people: what the state means (health `message`, error bodies). */
  message?: string;
}

export interface SyncFacts {
  /** The replica holds a complete state (a `reset` applied up to its `mark`). */
  hasReplica: boolean;
  /** The change stream is open. */
  connected: boolean;
  /** When the last mark was applied (epoch ms). */
  lastMarkAt: number | undefined;
  /**
   * How long ago the last mark was applied by a clock that does not jump (SyncClient.markAge):
   * the age counts as the larger of this and the wall clock's, so a wall clock set back (NTP, a
   * resumed VM, an intruder) cannot stretch `--max-staleness`.
   */
  markAgeMs?: number | undefined;
}

export interface SyncBounds {
  /** `--max-staleness`: how long after its last mark a disconnected node keeps serving; 0 = never. */
  maxStalenessMs: number;
  /** How recent a mark must be for a connected node to be in sync (default STREAM_SILENCE_MS). */
  silenceMs?: number;
}

/** `1h`, `90m`, `45s`, `2d`: a duration as the flags take it, for messages. */
export function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s % 86_400 === 0 && s > 0) return `${s / 86_400}d`;
  if (s % 3_600 === 0 && s > 0) return `${s / 3_600}h`;
  if (s % 60 === 0 && s > 0) return `${s / 60}m`;
  return `${s}s`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Where a standalone node stands, from the sync's facts and the clock:
 *
 * - `SYNCED`: the stream is connected and a mark arrived within the silence window (the central
 *   service sends one at least every HEARTBEAT_MS).
 * - `STALE` since the last mark: not in sync, but the last mark is within `--max-staleness`;
 *   reads are served from the replica as it was then.
 * - `NOT_SYNCED`: no replica yet, or the last mark is older than `--max-staleness`, or
 *   `--max-staleness 0` while not in sync; reads are refused.
 */
export function syncState(facts: SyncFacts, bounds: SyncBounds, now: number): SyncState {
  const silenceMs = bounds.silenceMs ?? STREAM_SILENCE_MS;
  const { lastMarkAt } = facts;
  if (!facts.hasReplica || lastMarkAt === undefined) {
    return {
      state: 'NOT_SYNCED',
      serving: false,
      message:
        'this Connect server has no replica yet: it has not completed a first sync with the central service',
    };
  }
  const age = Math.max(now - lastMarkAt, facts.markAgeMs ?? Number.NEGATIVE_INFINITY);
  if (facts.connected && age <= silenceMs) return { state: 'SYNCED', since: lastMarkAt, serving: true };
  if (bounds.maxStalenessMs > 0 && age <= bounds.maxStalenessMs) {
    return { state: 'STALE', since: lastMarkAt, serving: true, message: `stale since ${iso(lastMarkAt)}` };
  }
  return {
    state: 'NOT_SYNCED',
    since: lastMarkAt,
    serving: false,
    message:
      bounds.maxStalenessMs > 0
        ? `this Connect server has not heard from the central service since ${iso(lastMarkAt)}, longer than --max-staleness (${durationText(bounds.maxStalenessMs)}) allows`
        : `this Connect server is not in sync with the central service (last heard from it at ${iso(lastMarkAt)}) and --max-staleness 0 refuses reads that are not in sync`,
  };
}
