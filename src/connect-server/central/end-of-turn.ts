/**
 * The most calls let go in one event-loop turn: a few milliseconds of central work for a turn of
 * secret reads. Long enough to keep their stages together (below), short enough that the audit
 * commits of the first reads are answered, and new requests read, while the rest wait.
 */
export const MAX_CALLS_PER_TURN = 32;

interface Group {
  released: Promise<void>;
  release: () => void;
  size: number;
}

/** Calls not let go yet, oldest first; only the last can still take more. */
const groups: Group[] = [];

/**
 * Resolves once the current event-loop turn has run its I/O callbacks (in setImmediate's check
 * phase), with one promise shared by up to MAX_CALLS_PER_TURN callers, so their continuations
 * run back to back in the order they called. The callers past that go in the next turn (after
 * the calls already waiting), and so on.
 *
 * Why together: under load one turn reads dozens of requests. Started as each arrives, a
 * request's central work (token check, SQLite, AES-GCM, JSON) runs between the HTTP parsing of
 * the others and finds its code and data evicted from the CPU caches every time. Started
 * together after the turn's I/O, each stage runs request after request with warm caches, which
 * cut the CPU of a GET item by about a fifth (bench/connect-get.mjs). At low load a turn is
 * short, and so is the wait.
 *
 * Why not all of them: a secret leaves only once its audit event is committed, on another
 * thread, and that answer is read only when this thread next polls for I/O. Letting fifty reads
 * go in one turn kept it from polling for their whole run, so every answer went out at once,
 * the clients sent their next requests at once, and this thread sat idle while the last commit
 * of each burst landed. Once the item read ran without Kysely's promises (precompiled.ts), that
 * idle time was ~15% of the serving thread's; with the cap it is busy again, and the two
 * together serve 2–22% more GET items per second (bench/connect-ab.mjs).
 */
export function endOfTurn(): Promise<void> {
  let group = groups.at(-1);
  if (!group || group.size === MAX_CALLS_PER_TURN) {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    group = { released, release, size: 0 };
    groups.push(group);
    if (groups.length === 1) setImmediate(releaseOldest);
  }
  group.size += 1;
  return group.released;
}

function releaseOldest(): void {
  groups.shift()?.release();
  if (groups.length > 0) setImmediate(releaseOldest);
}
