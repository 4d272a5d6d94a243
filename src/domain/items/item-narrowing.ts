import { fieldsReadable } from '../access/decide.js';
import type { RequestContext } from '../context.js';
import type { IndexedItem } from './overview-index.js';
import type { ConnectFullItem, ConnectItemSummary } from './present.js';

/**
 * What a caller that may read only some fields of an item (RFC 9396 `fields`, decide.ts
 * `fieldsReadable`) is shown of it, in full and in a list. The one place this is decided: every
 * read that answers a narrowed caller goes through here, and `decide` refuses any read of such an
 * item that does not say it does (`VaultRef.narrowed`: files, versions).
 *
 * Kept: what names the item (id, title, vault, category) and the row's metadata (version, dates,
 * editor, favorite) — what its consent page and the item list already show. Of the fields, only
 * those named, each as it is; of the sections, only those a kept field is in. Everything else is
 * absent, not blanked: other fields (their ids, labels, count; notes are a field, `notesPlain`),
 * other sections' names, URLs, files, and tags (an empty list, the shape clients expect).
 */

/** The field ids of the item the caller may read, or null when it may read the whole item. */
export const readableFieldsOf = (
  ctx: RequestContext,
  vaultId: string,
  itemId: string,
): ReadonlySet<string> | null => fieldsReadable(ctx.principal, vaultId, itemId);

/** The full item holding only `fields` (and the sections they are in). */
export function narrowedItem(item: ConnectFullItem, fields: ReadonlySet<string>): ConnectFullItem {
  const kept = item.fields.filter((field) => fields.has(field.id));
  const inSections = new Set(kept.flatMap((field) => (field.section ? [field.section.id] : [])));
  return {
    ...narrowedSummary(item),
    sections: item.sections.filter((section) => inSections.has(section.id)),
    fields: kept,
  };
}

/** The item's list entry: no URLs, no tags. */
export function narrowedSummary(summary: ConnectItemSummary): ConnectItemSummary {
  return {
    id: summary.id,
    title: summary.title,
    vault: summary.vault,
    category: summary.category,
    favorite: summary.favorite,
    tags: [],
    version: summary.version,
    createdAt: summary.createdAt,
    updatedAt: summary.updatedAt,
    lastEditedBy: summary.lastEditedBy,
  };
}

/** The full item's JSON, narrowed when the caller may read only some of its fields. */
export function narrowedItemJson(ctx: RequestContext, vaultId: string, itemId: string, json: Buffer): Buffer {
  const fields = readableFieldsOf(ctx, vaultId, itemId);
  if (fields === null) return json;
  return Buffer.from(JSON.stringify(narrowedItem(JSON.parse(json.toString('utf8')), fields)));
}

/**
 * A list of the vault's items as the caller may see it: each item it may read only some fields of
 * narrowed by `narrow`. Before any filter runs over it, so a filter (by tag) learns no more than
 * the list shows. Anyone not narrowed by RFC 9396 details gets the list as it is.
 */
export function narrowedList<T>(
  ctx: RequestContext,
  vaultId: string,
  items: readonly T[],
  idOf: (item: T) => string,
  narrow: (item: T) => T,
): readonly T[] {
  const { principal } = ctx;
  if (principal.kind !== 'oauth' || principal.details === undefined) return items;
  return items.map((item) => (readableFieldsOf(ctx, vaultId, idOf(item)) === null ? item : narrow(item)));
}

/** An entry of the overview index, narrowed: its summary, and a search text of its title only. */
export const narrowedIndexEntry = (entry: IndexedItem): IndexedItem => ({
  ...entry,
  summary: narrowedSummary(entry.summary),
  text: entry.sortKey,
});
