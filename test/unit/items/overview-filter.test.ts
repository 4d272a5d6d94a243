import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ItemFilter, matchesItem } from '../../../src/domain/connect/filter.js';
import { filterIndex } from '../../../src/domain/items/overview-filter.js';
import { byListOrder, type IndexedItem, type VaultIndex } from '../../../src/domain/items/overview-index.js';
import type { ConnectItemSummary } from '../../../src/domain/items/present.js';
import type { ItemRow } from '../../../src/storage/ports.js';

/** An index of items with these titles and tags, in list order (only what a filter reads is set). */
function indexOf(items: { title: string; tags: string[] }[]): VaultIndex {
  const summaries = items
    .map((item, i) => ({ ...item, id: `item${String(i).padStart(4, '0')}` }) as unknown as ConnectItemSummary)
    .sort(byListOrder);
  const entries: IndexedItem[] = summaries.map((summary) => ({
    summary,
    text: [summary.title, ...summary.tags].join('\n').toLowerCase(),
    sortKey: summary.title.toLowerCase(),
    row: {} as ItemRow,
  }));
  return { epoch: 'e', seq: 0, items: entries };
}

const ids = (found: ConnectItemSummary[]) => found.map((s) => s.id);

/** What the filter means (domain/connect/filter.ts), by testing every item in list order. */
const scanned = (index: VaultIndex, filter: ItemFilter) =>
  ids(index.items.map((e) => e.summary).filter((s) => matchesItem(filter, s)));

const words = ['Prod', 'prod', 'DB', 'db key', 'Ünïcode', 'a', 'A', ''];
const word = fc.constantFrom(...words);
const comparison: fc.Arbitrary<ItemFilter> = fc.oneof(
  word.map((value) => ({ attribute: 'title', op: 'eq', value }) as const),
  word.map((value) => ({ attribute: 'title', op: 'co', value }) as const),
  word.map((value) => ({ attribute: 'tag', op: 'eq', value }) as const),
);
const { tree } = fc.letrec<{ tree: ItemFilter }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((any) => ({ any })),
  ),
}));
const items = fc.array(fc.record({ title: word, tags: fc.array(word, { maxLength: 3 }) }), { maxLength: 40 });

describe('filterIndex', () => {
  it('finds exactly what testing every item finds, in list order, for any filter', () => {
    fc.assert(
      fc.property(items, tree, (list, filter) => {
        const index = indexOf(list);
        expect(ids(filterIndex(index, filter))).toEqual(scanned(index, filter));
      }),
      { numRuns: 2000 },
    );
  });

  it('looks exact titles up case-sensitively, and names an item holding a tag twice once', () => {
    const index = indexOf([
      { title: 'Prod', tags: ['db', 'db'] },
      { title: 'prod', tags: [] },
      { title: 'Prod', tags: ['x'] },
    ]);
    const titled = filterIndex(index, { attribute: 'title', op: 'eq', value: 'Prod' });
    expect(titled.map((s) => s.title)).toEqual(['Prod', 'Prod']);
    expect(filterIndex(index, { attribute: 'tag', op: 'eq', value: 'db' })).toHaveLength(1);
    expect(filterIndex(index, { attribute: 'title', op: 'eq', value: 'PROD' })).toEqual([]);
    expect(filterIndex(index, { attribute: 'title', op: 'co', value: 'PROD' })).toHaveLength(3);
  });

  it('answers a later index from its own items, not from lookups made for an earlier one', () => {
    const before = indexOf([{ title: 'Old', tags: [] }]);
    expect(filterIndex(before, { attribute: 'title', op: 'eq', value: 'Old' })).toHaveLength(1);
    const after = indexOf([{ title: 'New', tags: [] }]);
    expect(filterIndex(after, { attribute: 'title', op: 'eq', value: 'Old' })).toEqual([]);
    expect(filterIndex(after, { attribute: 'title', op: 'eq', value: 'New' })).toHaveLength(1);
  });
});
