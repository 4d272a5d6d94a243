import { type Field, type FullItem, isConcealed } from '../vaults/types.js';

/** One row of a diff between two versions of an item. */
export interface DiffRow {
  /** What the row is about: "Title", "Tags", or a field's label. */
  name: string;
  /** The field's id, for a field row (its values are read again on reveal). */
  fieldId?: string;
  /** A concealed field: its values are not drawn until revealed. */
  concealed: boolean;
  before: string | undefined;
  after: string | undefined;
  change: 'added' | 'removed' | 'changed' | 'unchanged';
}

const fieldName = (f: Field) =>
  f.purpose === 'USERNAME'
    ? 'Username'
    : f.purpose === 'PASSWORD'
      ? 'Password'
      : f.purpose === 'NOTES'
        ? 'Notes'
        : f.label || f.id;

const changeOf = (before: string | undefined, after: string | undefined): DiffRow['change'] =>
  before === undefined
    ? 'added'
    : after === undefined
      ? 'removed'
      : before === after
        ? 'unchanged'
        : 'changed';

/** Two versions compared attribute by attribute, then field by field (matched by id). */
export function diffItems(before: FullItem, after: FullItem): DiffRow[] {
  const plain = (name: string, a: string, b: string): DiffRow => ({
    name,
    concealed: false,
    before: a,
    after: b,
    change: a === b ? 'unchanged' : 'changed',
  });
  const rows: DiffRow[] = [
    plain('Title', before.title, after.title),
    plain('Category', before.category, after.category),
    plain('Tags', before.tags.join(', '), after.tags.join(', ')),
    plain(
      'Websites',
      (before.urls ?? []).map((u) => u.href).join(', '),
      (after.urls ?? []).map((u) => u.href).join(', '),
    ),
  ];
  const old = new Map(before.fields.map((f) => [f.id, f]));
  const seen = new Set<string>();
  for (const f of after.fields) {
    seen.add(f.id);
    const was = old.get(f.id);
    rows.push({
      name: fieldName(f),
      fieldId: f.id,
      concealed: isConcealed(f) || (was !== undefined && isConcealed(was)),
      before: was?.value,
      after: f.value,
      change: changeOf(was?.value, f.value),
    });
  }
  for (const f of before.fields) {
    if (seen.has(f.id)) continue;
    rows.push({
      name: fieldName(f),
      fieldId: f.id,
      concealed: isConcealed(f),
      before: f.value,
      after: undefined,
      change: 'removed',
    });
  }
  return rows;
}
