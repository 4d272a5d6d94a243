import type { VaultKeys } from '../../crypto/vault-keys.js';
import type { ItemRow, ItemStore, ReplicaLogStore, ReplicaPosition, VaultCore } from '../../storage/ports.js';
import { verifyHead } from './heads.js';
import { metaOf, placeOf } from './item-rows.js';
import { type ConnectItemSummary, toItemSummary } from './present.js';
import { openOverview } from './sealing.js';

/**
 * A per-vault index of decrypted item overviews (title, category, URLs, tags: what lists show and
 * what a search looks at), kept in memory so paging and searching a large vault do not open every
 * sealed overview on every request. Secret fields are never in it (overviews are sealed apart from
 * them, sealing.ts).
 *
 * Freshness: an index is tagged with the replica change log's position (ports/replica.ts), read
 * *before* its rows. Every write to an item or its files records a change naming the item in the
 * write's own transaction, in commit order, so each use reads the position (one row) and, when it
 * moved, the account's changes since (one indexed query): the items of this vault named there are
 * read again (each row's head checked, its overview opened) and put in place. A write by this
 * process or any other node on the same database is thus seen by the next request, at the cost of
 * the changed items only. The whole vault is read again when the log cannot say what changed
 * (another epoch, pruned past the index, too many changes, an account-wide change); even then
 * every overview whose sealed bytes and head are unchanged is reused, not decrypted again.
 *
 * Bounded: at most `maxItems` overviews are held over all vaults; the least recently used vaults
 * are dropped first (a vault larger than the bound is indexed for the request and not kept).
 *
 * Authorization is not here: callers decide access (authorizeVault) before asking for a vault's
 * index, and audit the read. Connect's item list (issue 21) can use the same index: it needs the
 * same summaries, and `of()` is cheap when nothing changed.
 */

export interface IndexedItem {
  summary: ConnectItemSummary;
  /** Title, tags and URLs, lower-cased and joined by newlines: what a search matches. */
  text: string;
  /** The lower-cased title: the order of a page. */
  sortKey: string;
  /** The row as indexed, to tell an unchanged row at the next full read. */
  row: ItemRow;
}

export interface VaultIndex {
  /** The replica log position the index is up to date with. */
  epoch: string;
  seq: number;
  /** Sorted by title (case-insensitive), then id. */
  items: readonly IndexedItem[];
}

export interface OverviewIndexStores {
  items: Pick<ItemStore, 'list' | 'get'>;
  replicaLog: Pick<ReplicaLogStore, 'position' | 'changesAfter'>;
}

export interface OverviewIndex {
  /** The vault's index, up to date with every write committed before the call. */
  of(vault: VaultCore): Promise<VaultIndex>;
}

/** The bound on overviews held over all vaults (memory: docs/performance.md, "Console item lists"). */
export const DEFAULT_MAX_INDEXED_ITEMS = 250_000;
/** Overviews opened between two turns of the event loop while a vault is read as a whole. */
const YIELD_EVERY = 1000;
/** More changes than this since an index was made: the vault is read again as a whole. */
const MAX_CHANGES = 500;

const sameBytes = (a: Buffer | null, b: Buffer | null) =>
  a === b || (a !== null && b !== null && a.equals(b));

/** Everything `verifyHead` and `openOverview` read from a row is unchanged. */
const sameRow = (a: ItemRow, b: ItemRow) =>
  a.id === b.id &&
  a.version === b.version &&
  a.createdAt === b.createdAt &&
  a.updatedAt === b.updatedAt &&
  a.lastEditedBy === b.lastEditedBy &&
  a.accountId === b.accountId &&
  a.vaultId === b.vaultId &&
  a.hasLaterVersion === b.hasLaterVersion &&
  sameBytes(a.head, b.head) &&
  sameBytes(a.overview, b.overview);

/** The order of every item list: title ignoring case (lower-cased), then id. */
const inListOrder = (aKey: string, aId: string, bKey: string, bId: string): number =>
  aKey < bKey ? -1 : aKey > bKey ? 1 : aId < bId ? -1 : aId > bId ? 1 : 0;

const byTitle = (a: IndexedItem, b: IndexedItem) =>
  inListOrder(a.sortKey, a.summary.id, b.sortKey, b.summary.id);

/**
 * Item summaries in the index's order, for a list made without the index (a standalone Connect
 * node's, from its replica): both hostings answer the same list in the same order.
 */
export const byListOrder = (a: { title: string; id: string }, b: { title: string; id: string }): number =>
  inListOrder(a.title.toLowerCase(), a.id, b.title.toLowerCase(), b.id);

export function overviewIndex(
  stores: OverviewIndexStores,
  keys: VaultKeys,
  maxItems = DEFAULT_MAX_INDEXED_ITEMS,
): OverviewIndex {
  /** Vaults' indexes, least recently used first (a Map keeps insertion order). */
  const held = new Map<string, VaultIndex>();
  /** One refresh at a time per vault: concurrent requests share it. */
  const refreshing = new Map<string, Promise<VaultIndex>>();
  let heldItems = 0;

  const keep = (vaultId: string, index: VaultIndex) => {
    const before = held.get(vaultId);
    if (before) {
      held.delete(vaultId);
      heldItems -= before.items.length;
    }
    if (index.items.length > maxItems) return;
    held.set(vaultId, index);
    heldItems += index.items.length;
    for (const [id, old] of held) {
      if (heldItems <= maxItems) break;
      held.delete(id);
      heldItems -= old.items.length;
    }
  };

  /** A row's entry: its head checked, its overview opened. */
  const entryOf = (vault: VaultCore, row: ItemRow): IndexedItem => {
    verifyHead(keys.macKey(vault), row);
    const summary = toItemSummary(
      metaOf(row),
      openOverview(keys.vaultKey(vault), placeOf(row), row.overview),
    );
    const urls = (summary.urls ?? []).map((u) => u.href);
    return {
      summary,
      text: [summary.title, ...summary.tags, ...urls].join('\n').toLowerCase(),
      sortKey: summary.title.toLowerCase(),
      row,
    };
  };

  /** Every row of the vault, reusing the entries of `previous` whose row is unchanged. */
  const readAll = async (
    vault: VaultCore,
    at: ReplicaPosition,
    previous: VaultIndex | undefined,
  ): Promise<VaultIndex> => {
    const known = new Map<string, IndexedItem>();
    for (const entry of previous?.items ?? []) known.set(entry.row.id, entry);
    const rows = await stores.items.list(vault.id);
    const items: IndexedItem[] = [];
    let opened = 0;
    for (const row of rows) {
      const entry = known.get(row.id);
      if (entry && sameRow(entry.row, row)) {
        items.push(entry);
        continue;
      }
      items.push(entryOf(vault, row));
      // Opening 100,000 overviews takes seconds of CPU: let other requests in between batches.
      if (++opened % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    items.sort(byTitle);
    return { epoch: at.epoch, seq: at.seq, items };
  };

  /** `index` with the items named in the log since it was made read again; undefined if the log cannot say. */
  const applyChanges = async (
    vault: VaultCore,
    at: ReplicaPosition,
    index: VaultIndex,
  ): Promise<VaultIndex | undefined> => {
    if (index.epoch !== at.epoch || index.seq < at.prunedThrough) return undefined;
    const changes = await stores.replicaLog.changesAfter(vault.accountId, index.seq, MAX_CHANGES);
    if (changes.length >= MAX_CHANGES || changes.some((c) => c.kind === 'account')) return undefined;
    const changed = new Set<string>();
    for (const c of changes)
      if (c.kind === 'item' && c.vaultId === vault.id && c.itemId) changed.add(c.itemId);
    const seq = Math.max(at.seq, ...changes.map((c) => c.seq));
    if (changed.size === 0) return { ...index, seq };
    const fresh: IndexedItem[] = [];
    for (const itemId of changed) {
      const row = await stores.items.get(vault.id, itemId, false);
      if (row) fresh.push(entryOf(vault, row));
    }
    const items = index.items.filter((entry) => !changed.has(entry.summary.id));
    for (const entry of fresh) {
      let lo = 0;
      let hi = items.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (byTitle(items[mid] as IndexedItem, entry) < 0) lo = mid + 1;
        else hi = mid;
      }
      items.splice(lo, 0, entry);
    }
    return { epoch: at.epoch, seq, items };
  };

  const refresh = async (vault: VaultCore): Promise<VaultIndex> => {
    const at = await stores.replicaLog.position();
    const current = held.get(vault.id);
    if (current && current.epoch === at.epoch && current.seq === at.seq) return current;
    const next = (current && (await applyChanges(vault, at, current))) ?? (await readAll(vault, at, current));
    keep(vault.id, next);
    return next;
  };

  return {
    async of(vault) {
      const current = held.get(vault.id);
      if (current) {
        held.delete(vault.id); // the most recently used goes last
        held.set(vault.id, current);
      }
      // Requests that arrive during a refresh wait for it, then check the position themselves
      // (what they must see may have been committed after the refresh read it).
      for (;;) {
        const pending = refreshing.get(vault.id);
        if (!pending) break;
        await pending.catch(() => undefined);
      }
      const next = refresh(vault);
      refreshing.set(vault.id, next);
      try {
        return await next;
      } finally {
        if (refreshing.get(vault.id) === next) refreshing.delete(vault.id);
      }
    },
  };
}

/** A page request: `q` words (each must occur in the title, a tag or a URL), up to `limit` items after `cursor`. */
export interface PageQuery {
  q?: string;
  limit: number;
  cursor?: string;
}

export interface ItemPage {
  items: ConnectItemSummary[];
  /** Items in the vault. */
  total: number;
  /** Items matching `q` (all of them without one). */
  matched: number;
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/**
 * A cursor is opaque to clients: the position after the page's last item and that item's id, so
 * the next page starts after that item even if items were added or removed before it meanwhile
 * (when the item itself is gone, the position is used as it is). Nothing of the items' content is
 * in it: it travels in a URL.
 */
const encodeCursor = (position: number, lastId: string) =>
  Buffer.from(`${position}.${lastId}`, 'utf8').toString('base64url');

export function decodeCursor(cursor: string): { position: number; lastId: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{1,9})\.([a-z0-9]{1,64})$/.exec(text);
  return m ? { position: Number(m[1]), lastId: m[2] as string } : undefined;
}

/** The words of a query, lower-cased. */
export const queryWords = (q: string | undefined) =>
  (q ?? '')
    .toLowerCase()
    .replaceAll('\u0000', ' ') // the separator of the search string
    .split(/\s+/)
    .filter(Boolean);

/** Every item's text in one string, in index order, separated by NUL (which no word holds). */
interface Searchable {
  haystack: string;
  /** Where each item's text begins. */
  starts: Int32Array;
}
const searchables = new WeakMap<VaultIndex, Searchable>();

function searchable(index: VaultIndex): Searchable {
  let found = searchables.get(index);
  if (!found) {
    const starts = new Int32Array(index.items.length);
    let offset = 0;
    const texts = index.items.map((entry, i) => {
      starts[i] = offset;
      offset += entry.text.length + 1;
      return entry.text;
    });
    found = { haystack: texts.join('\u0000'), starts };
    searchables.set(index, found);
  }
  return found;
}

/** The item whose text holds offset `at`: the last start at or before it. */
function itemAt(starts: Int32Array, at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((starts[mid] as number) <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** One page of `index`, matching `query` (its cursor already checked by `decodeCursor`). */
export function pageOf(index: VaultIndex, query: PageQuery): ItemPage {
  const words = queryWords(query.q);
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  let start = 0;
  if (after) {
    // Where the last item shown is now: where it was, unless items before it came or went.
    const { items } = index;
    const isLast = (i: number) => items[i]?.summary.id === after.lastId;
    let at = isLast(after.position - 1) ? after.position - 1 : -1;
    for (let i = 0; at < 0 && i < items.length; i++) if (isLast(i)) at = i;
    start = at < 0 ? Math.min(after.position, items.length) : at + 1;
  }
  const items: ConnectItemSummary[] = [];
  let matched = 0;
  let last = -1;
  let more = false;
  const take = (i: number) => {
    matched++;
    if (i < start) return;
    if (items.length < query.limit) {
      items.push((index.items[i] as IndexedItem).summary);
      last = i;
    } else more = true;
  };
  if (words.length === 0) {
    matched = index.items.length;
    const end = Math.min(index.items.length, start + query.limit);
    for (let i = start; i < end; i++) items.push((index.items[i] as IndexedItem).summary);
    last = end - 1;
    more = end < index.items.length;
  } else {
    // The longest word is looked for in one string of every item's text (a native substring
    // search over a few MB); the other words are checked on the items it is found in.
    const { haystack, starts } = searchable(index);
    const [first, ...others] = [...words].sort((x, y) => y.length - x.length) as [string, ...string[]];
    for (let at = haystack.indexOf(first); at !== -1; ) {
      const i = itemAt(starts, at);
      const entry = index.items[i] as IndexedItem;
      if (others.every((w) => entry.text.includes(w))) take(i);
      at = i + 1 < starts.length ? haystack.indexOf(first, starts[i + 1]) : -1;
    }
  }
  const lastItem = items[items.length - 1];
  return {
    items,
    total: index.items.length,
    matched,
    ...(more && lastItem ? { nextCursor: encodeCursor(last + 1, lastItem.id) } : {}),
  };
}
