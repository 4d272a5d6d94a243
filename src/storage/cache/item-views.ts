import type { ChangeFeed, FileRecord, ItemRow, Storage } from '../ports.js';
import { AccessEpoch } from './access-epoch.js';
import { frozen } from './frozen.js';

/** Item views kept: a few MiB of sealed rows in the common case. */
const MAX_VIEWS = 1_000;
/** A view whose sealed parts are larger than this is read from the database every time. */
const MAX_VIEW_BYTES = 64 * 1024;

type ItemView = { item: ItemRow; files: FileRecord[] };

/**
 * The item views (an item row with its file rows) read lately, as the database returned them:
 * still sealed under their vault keys, and verified and opened by the domain on every read
 * exactly as a row from the database is. No plaintext is kept.
 *
 * Why: every secret read (a Connect GET item, an item in the console or the admin API) reads one
 * view, and a point read through better-sqlite3 costs ~16 µs of the serving thread, a sixth of a
 * whole in-process Connect GET: the statement's read transaction takes the file locks and checks
 * the WAL index, syscalls that are slow on a VM, and the audit writer's commits to the same file
 * make SQLite drop its page cache at the next read.
 *
 * It stays true by the same rule as the access cache (access-epoch.ts), on the `replica` topic:
 * every write that can change a view (an item's insert, update, trash, undelete, delete or head,
 * a file's insert, delete or metadata, a vault's deletion, an account's) is a replicated write
 * (changes/replicated-writes.ts), which the change feed delivers once it has committed and
 * before the writing call returns. A read keeps what it read only if no such delivery came while
 * it read. Only for a database this process alone writes (SQLite): another process's write
 * would be seen only when the feed delivered it, and a client must read its own writes whichever
 * node it reaches. A row altered on disk behind the process is found when it is next read from
 * disk (after a write, an eviction or a restart), as on a standalone node (read-cache.ts there).
 */
export function withItemViewCache(inner: Storage, feed: ChangeFeed): Storage {
  const epoch = new AccessEpoch();
  const views = epoch.cache<ItemView>(MAX_VIEWS);
  const unsubscribe = feed.subscribe((topics) => {
    if (topics.has('replica')) epoch.changed();
  });
  return {
    ...inner,
    items: {
      ...inner.items,
      getWithFiles: async (vaultId, id) => {
        let tooLarge: ItemView | undefined;
        const view = await views.get(`${vaultId}/${id}`, async () => {
          const found = await inner.items.getWithFiles(vaultId, id);
          if (found === undefined || sealedBytes(found) <= MAX_VIEW_BYTES) return frozen(found);
          tooLarge = found;
          return undefined;
        });
        return view ?? tooLarge;
      },
    },
    stats: () => {
      const below = inner.stats();
      return { ...below, caches: { ...below.caches, item_views: views.stats() } };
    },
    close: async () => {
      unsubscribe();
      await inner.close();
    },
  };
}

function sealedBytes({ item, files }: ItemView): number {
  let bytes = item.overview.length + (item.content?.length ?? 0);
  for (const file of files) bytes += file.meta.length;
  return bytes;
}
