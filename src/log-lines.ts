/** Where the coalesced lines go: pino's transport stream (thread-stream), or any such stream. */
export interface LineSink {
  write(chunk: string): boolean;
  flush(callback: (error?: Error | null) => void): void;
  flushSync(): void;
}

export interface CoalescedLines {
  write(line: string): void;
  /** Hands the held lines on, then lets the sink flush (pino's `logger.flush`). */
  flush(callback?: (error?: Error | null) => void): void;
  /** Hands the held lines on and has the sink write them now (pino's `fatal`, process exit). */
  flushSync(): void;
}

/** Held lines past this many characters are handed on at once, without waiting for the timer. */
const MAX_HELD_CHARS = 64 * 1024;

const atExit = new Set<() => void>();

/**
 * Runs `handOn` when the process exits, before the transport's own exit handler (which flushes
 * it synchronously): one listener put ahead of every listener there is, whenever the transport
 * registered its own.
 */
function onExit(handOn: () => void): void {
  if (atExit.size === 0)
    process.prependListener('exit', () => {
      for (const run of atExit) run();
    });
  atExit.add(handOn);
}

/**
 * Holds log lines for up to `everyMs` and hands them to `sink` as one string.
 *
 * Why: every write to pino's transport stream that starts a batch ends with an `Atomics.notify`
 * waking the transport thread, once per event-loop turn that logs. Under load, with a request
 * line in nearly every turn, that wake was the largest item of the serving thread's own time
 * after the socket writes (8–10% of its busy samples in both Connect hostings), and each line was
 * also turned into a Buffer of its own. Held for a few milliseconds, the lines of many turns
 * cross in one wake and one copy. A line reaches the log at most `everyMs` later; at process exit
 * (an 'exit' listener put ahead of the transport's own) and on `flushSync` (pino's `fatal`) the
 * held lines are handed on first, so nothing held is lost that the transport would have kept.
 */
export function coalescedLines(sink: LineSink, everyMs: number): CoalescedLines {
  let held: string[] = [];
  let heldChars = 0;
  let timer: NodeJS.Timeout | undefined;

  const handOn = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (held.length === 0) return;
    const text = held.length === 1 ? (held[0] as string) : held.join('');
    held = [];
    heldChars = 0;
    sink.write(text);
  };

  onExit(handOn);

  return {
    write(line) {
      held.push(line);
      heldChars += line.length;
      if (heldChars >= MAX_HELD_CHARS) return handOn();
      // unref: held lines never keep the process alive; exit hands them on.
      if (!timer) timer = setTimeout(handOn, everyMs).unref();
    },
    flush(callback = () => {}) {
      handOn();
      sink.flush(callback);
    },
    flushSync() {
      handOn();
      sink.flushSync();
    },
  };
}
