import { invalidInput } from '../../errors/app-error.js';
import {
  type Comparison,
  evaluate,
  type FilterSchema,
  FilterSyntaxError,
  type FilterTree,
  mapTree,
  parseFilterText,
} from './filter-syntax.js';

/**
 * The `?filter=` of Connect's list routes: SCIM-style filters as 1Password Connect documents
 * them (grammar in filter-syntax.ts). Items take `title eq`, `title co` (contains; the JS SDK's
 * `listItemsByTitleContains`) and `tag eq`; vaults take `name eq`, and `title eq`, which every
 * real client sends for it. Comparisons join with `and` / `or` and group with parentheses, as in
 * Connect's own example `title eq "Example Item" or tag eq "banking"`.
 *
 * Strict: a filter that does not parse as a whole is a 400 quoting it, never a partial match or
 * an empty list. Lenient only where real clients need it and nothing becomes ambiguous:
 * - attribute, operator and `and`/`or` are case-insensitive (`TITLE EQ "x"`), as RFC 7644 says;
 * - `+` stands for a space (the Go SDK and the op CLI encode spaces that way) — see
 *   `FilterDecoding`;
 * - an unescaped `"` inside a value is literal where it cannot end the value (the JS SDK never
 *   escapes titles) — see filter-syntax.ts.
 */

/** A comparison an item filter can hold. `co` (contains) exists only for titles, as in Connect. */
export type ItemComparison =
  | { attribute: 'title'; op: 'eq' | 'co'; value: string }
  | { attribute: 'tag'; op: 'eq'; value: string };
/** A parsed item filter: a comparison, or `all` / `any` of filters. */
export type ItemFilter = FilterTree<ItemComparison>;

/** A comparison a vault filter can hold; `title eq` is accepted on the wire and normalised to `name`. */
export interface VaultComparison {
  attribute: 'name';
  op: 'eq';
  value: string;
}
export type VaultFilter = FilterTree<VaultComparison>;

/** How the raw filter was decoded before it reached the parser. */
export interface FilterDecoding {
  /**
   * Decode `+` as a space (default `true`). Pass `false` when the HTTP framework's query parser
   * already did so (Fastify's default parser does: it turns `+` into a space and `%2B` into `+`),
   * otherwise a `+` the client sent correctly as `%2B` would become a space a second time.
   */
  plusIsSpace?: boolean;
}

const ITEM_SCHEMA: FilterSchema = { title: ['eq', 'co'], tag: ['eq'] };
const VAULT_SCHEMA: FilterSchema = { name: ['eq'], title: ['eq'] };

/** Longest part of a filter echoed back in an error message, in code points. */
const MAX_ECHO = 60;

const ITEM_FORMS = 'title eq "…", title co "…" or tag eq "…", joined with and/or';
const VAULT_FORMS = 'name eq "…" or title eq "…", joined with and/or';

/**
 * Parses the `filter` query parameter of `GET /v1/vaults/{vault}/items`. Returns `undefined`
 * when there is no filter (absent, empty or only whitespace); throws `invalid_input` for a
 * filter that does not parse as a whole.
 */
export function parseItemFilter(
  raw: string | undefined,
  decoding: FilterDecoding = {},
): ItemFilter | undefined {
  return parse(
    raw,
    decoding,
    ITEM_SCHEMA,
    ITEM_FORMS,
    (c) => ({ attribute: c.attribute, op: c.operator, value: c.value }) as ItemComparison,
  );
}

/**
 * Parses the `filter` query parameter of `GET /v1/vaults`. The spec says `name eq "…"` but every
 * real client sends `title eq "…"`; both mean the vault's name. Returns `undefined` when there
 * is no filter; throws `invalid_input` for a filter that does not parse as a whole.
 */
export function parseVaultFilter(
  raw: string | undefined,
  decoding: FilterDecoding = {},
): VaultFilter | undefined {
  return parse(raw, decoding, VAULT_SCHEMA, VAULT_FORMS, (c) => ({
    attribute: 'name',
    op: 'eq',
    value: c.value,
  }));
}

/**
 * Whether an item's overview passes the filter. `eq` is exact and case-sensitive: the SDKs turn
 * the list into "404 if none, 400 if several", so a loose match would make them fail on items
 * that merely look alike. `co` is a case-insensitive substring match, which is how 1Password
 * itself treats "contains". `tag eq` matches when any one tag is exactly the value.
 */
export function matchesItem(filter: ItemFilter, overview: { title: string; tags: string[] }): boolean {
  return evaluate(filter, (c) => {
    if (c.attribute === 'tag') return overview.tags.includes(c.value);
    if (c.op === 'eq') return overview.title === c.value;
    return overview.title.toLowerCase().includes(c.value.toLowerCase());
  });
}

/** Whether a vault passes the filter: its name equals a value exactly (case-sensitive). */
export function matchesVault(filter: VaultFilter, vault: { name: string }): boolean {
  return evaluate(filter, (c) => vault.name === c.value);
}

function parse<C>(
  raw: string | undefined,
  decoding: FilterDecoding,
  schema: FilterSchema,
  forms: string,
  toComparison: (comparison: Comparison) => C,
): FilterTree<C> | undefined {
  if (raw === undefined) return undefined;
  const decoded = decoding.plusIsSpace === false ? raw : raw.replaceAll('+', ' ');
  const text = decoded.trim();
  if (text === '') return undefined;
  let tree: FilterTree<Comparison>;
  try {
    tree = parseFilterText(text, schema);
  } catch (error) {
    if (!(error instanceof FilterSyntaxError)) throw error;
    const at = Array.from(text.slice(0, error.offset)).length + 1;
    throw invalidInput(
      `Invalid filter ${echo(raw)} at character ${at}: ${error.reason} (filters are ${forms})`,
    );
  }
  return mapTree(tree, toComparison);
}

/** Characters that JSON.stringify leaves as they are but that can break or disguise a log line. */
const UNSAFE_IN_LOGS = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * The filter as the client sent it (after URL decoding), trimmed and cut to `MAX_ECHO` code
 * points (never splitting a surrogate pair), then JSON-quoted with line and direction controls
 * escaped too, so it cannot forge or disguise a log line wherever the message ends up.
 */
function echo(raw: string): string {
  const points = Array.from(raw.trim());
  const shown = points.length > MAX_ECHO ? `${points.slice(0, MAX_ECHO).join('')}…` : raw.trim();
  return JSON.stringify(shown).replace(
    UNSAFE_IN_LOGS,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
