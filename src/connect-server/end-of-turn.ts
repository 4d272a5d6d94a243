let turn: Promise<void> | undefined;

/**
 * Resolves once the current event-loop turn has run its I/O callbacks (in setImmediate's check
 * phase), with one promise for every caller of the turn, so their continuations run back to back
 * in the order they called.
 *
 * Why: under load one turn reads dozens of requests. Started as each arrives, a request's central
 * work (token check, SQLite, AES-GCM, JSON) runs between the HTTP parsing of the others and finds
 * its code and data evicted from the CPU caches every time. Started together after the turn's
 * I/O, each stage runs request after request with warm caches, which cut the CPU of a GET item by
 * about a fifth (bench/connect-get.mjs). At low load a turn is short, and so is the wait.
 */
export function endOfTurn(): Promise<void> {
  turn ??= new Promise((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  );
  return turn;
}
