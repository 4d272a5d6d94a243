import type { ItemComparison, ItemFilter } from '../connect/filter.js';
import { evaluate, type FilterTree, mapTree } from '../connect/filter-syntax.js';
import type { IndexedItem, VaultIndex } from './overview-index.js';
import type { ConnectItemSummary } from './present.js';

/**
 * Connect's `?filter=` over a vault's overview index (overview-index.ts), with the meaning of
 * `matchesItem` (domain/connect/filter.ts): `title eq` and `tag eq` exact and case-sensitive,
 * `title co` a substring ignoring case.
 *
 * Exact comparisons are looked up, not scanned: SDKs fetch an item by title with `title eq`, and a
 * scan of a 100,000-item vault for it costs tens of milliseconds. The lookups are made on the
 * first exact filter over an index and kept with it (a WeakMap: they go when the index is
 * replaced). A filter with an exact comparison that every match must pass (the filter itself,
 * an `and` holding one, an `or` of them) tests only the items it names; any other filter is
 * tested against every item, `co` against the lower-cased title the index already holds.
 */

/** Exact titles and tags to positions in the index, ascending (list order). */
interface ExactLookups {
  titles: Map<string, number[]>;
  tags: Map<string, number[]>;
}
const lookups = new WeakMap<VaultIndex, ExactLookups>();

function exactLookups(index: VaultIndex): ExactLookups {
  let found = lookups.get(index);
  if (!found) {
    const titles = new Map<string, number[]>();
    const tags = new Map<string, number[]>();
    const add = (map: Map<string, number[]>, key: string, at: number) => {
      const list = map.get(key);
      if (list === undefined) map.set(key, [at]);
      else if (list[list.length - 1] !== at) list.push(at); // a tag given twice names the item once
    };
    index.items.forEach((entry, at) => {
      add(titles, entry.summary.title, at);
      for (const tag of entry.summary.tags) add(tags, tag, at);
    });
    found = { titles, tags };
    lookups.set(index, found);
  }
  return found;
}

const NONE: readonly number[] = [];

/**
 * Positions holding every match of `tree` (and maybe more), ascending; undefined when only a
 * scan can tell.
 */
function candidates(tree: FilterTree<ItemComparison>, index: VaultIndex): readonly number[] | undefined {
  if ('all' in tree) {
    let fewest: readonly number[] | undefined;
    for (const member of tree.all) {
      const found = candidates(member, index);
      if (found && (!fewest || found.length < fewest.length)) fewest = found;
    }
    return fewest;
  }
  if ('any' in tree) {
    const union = new Set<number>();
    for (const member of tree.any) {
      const found = candidates(member, index);
      if (!found) return undefined;
      for (const at of found) union.add(at);
    }
    return [...union].sort((a, b) => a - b);
  }
  if (tree.op === 'co') return undefined;
  const { titles, tags } = exactLookups(index);
  return (tree.attribute === 'title' ? titles : tags).get(tree.value) ?? NONE;
}

const matches = (tree: FilterTree<ItemComparison>, entry: IndexedItem) =>
  evaluate(tree, (c) => {
    if (c.attribute === 'tag') return entry.summary.tags.includes(c.value);
    if (c.op === 'eq') return entry.summary.title === c.value;
    return entry.sortKey.includes(c.value);
  });

/** The summaries of the index's items that pass `filter`, in list order. */
export function filterIndex(index: VaultIndex, filter: ItemFilter): ConnectItemSummary[] {
  // `co` values lower-cased once, to test against the lower-cased title the index holds.
  const tree = mapTree<ItemComparison, ItemComparison>(filter, (c) =>
    c.op === 'co' ? { ...c, value: c.value.toLowerCase() } : c,
  );
  const found: ConnectItemSummary[] = [];
  const test = (entry: IndexedItem) => {
    if (matches(tree, entry)) found.push(entry.summary);
  };
  const named = candidates(tree, index);
  if (named) for (const at of named) test(index.items[at] as IndexedItem);
  else for (const entry of index.items) test(entry);
  return found;
}
