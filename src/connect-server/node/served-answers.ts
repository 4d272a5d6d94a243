import type { ServedAnswers } from '../../domain/items/item-reads.js';

/** Answers larger than this are made again on every read: the cache's memory stays bounded. */
export const MAX_SERVED_ANSWER_BYTES = 16 * 1024;

/**
 * The item answers a node made lately, each tied to the sealed item view of the replica's read
 * cache it was made from (read-cache.ts: at most 1,000 views, all dropped by any record the node
 * applies), and gone with it: a WeakMap holds an answer only while its view is still cached. So
 * at most 1,000 answers of at most 16 KiB, in memory only, and none outlives a change to the
 * replica.
 *
 * Why: checking the item's head (an HMAC), opening its seal (AES-GCM) and splicing the answer was
 * about a tenth of the serving thread's time per GET item, repeated on the same bytes in memory
 * while the item does not change. Every read is still decided (`decide()`) and audited, durably,
 * before it is answered (item-reads.ts); an item row altered on disk is still found when it is
 * next read from disk, as with the sealed views alone.
 */
export function servedAnswers(): ServedAnswers {
  const answers = new WeakMap<object, Buffer>();
  return {
    get: (view) => answers.get(view),
    set: (view, json) => {
      if (json.length <= MAX_SERVED_ANSWER_BYTES) answers.set(view, json);
    },
  };
}
