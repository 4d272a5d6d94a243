import type { ChangeListener, ChangeTopic } from '../ports/changes.js';

/** This process's change listeners, and the one way a change reaches them. */
export class ChangeListeners {
  readonly #listeners = new Set<ChangeListener>();

  subscribe(listener: ChangeListener): () => void {
    // A listener of its own each time, so subscribing one function twice needs two unsubscribes.
    const own: ChangeListener = (topics) => listener(topics);
    this.#listeners.add(own);
    return () => {
      this.#listeners.delete(own);
    };
  }

  /**
   * Calls every listener with `topics`. A listener that throws does not keep the others from
   * running; its error is then thrown on its own, as an uncaught exception (ports/changes.ts).
   */
  deliver(topics: ReadonlySet<ChangeTopic>): void {
    for (const listener of this.#listeners) {
      try {
        listener(topics);
      } catch (error) {
        setImmediate(() => {
          throw error;
        });
      }
    }
  }
}
