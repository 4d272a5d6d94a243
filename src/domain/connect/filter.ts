import { invalidInput } from '../../errors/app-error.js';

/**
 * The `?filter=` of Connect's list routes: a one-clause subset of SCIM filters
 * (shared reference connect-compat.md, "Filters (SCIM-like)").
 *
 * Real clients encode it badly, so parsing is lenient where that is unambiguous:
 * - attribute and operator names are case-insensitive (`TITLE EQ "x"`);
 * - `+` stands for a space (the Go SDK and the op CLI encode spaces that way), so every `+` is
 *   decoded before parsing. A literal `+` in a title must therefore reach this parser encoded in
 *   a way that survives that step — see `FilterDecoding`;
 * - the value is everything between the first and the last `"`: the JS SDK never escapes it, so
 *   `title eq "say "hi""` means the title `say "hi"`. A consequence is that a second clause
 *   (`… and tag eq "y"`) is read as part of the value, which then simply matches nothing.
 * Anything else is a 400 naming the accepted forms, never a 500.
 */

/** A parsed item filter. `co` (contains) exists only for titles, as in Connect. */
export type ItemFilter =
  | { attribute: 'title'; op: 'eq' | 'co'; value: string }
  | { attribute: 'tag'; op: 'eq'; value: string };

/** A parsed vault filter; `title eq` is accepted on the wire and normalised to `name`. */
export interface VaultFilter {
  attribute: 'name';
  op: 'eq';
  value: string;
}

/** How the raw filter was decoded before it reached the parser. */
export interface FilterDecoding {
  /**
   * Decode `+` as a space (default `true`). Pass `false` when the HTTP framework's query parser
   * already did so (Fastify's default parser does: it turns `+` into a space and `%2B` into `+`),
   * otherwise a `+` the client sent correctly as `%2B` would become a space a second time.
   */
  plusIsSpace?: boolean;
}

/** `<attribute> <op> "<value>"`; greedy `(.*)` runs to the LAST quote, `s` lets it span lines. */
const CLAUSE = /^(\S+)\s+(\S+)\s+"(.*)"$/s;

/** Longest part of a filter echoed back in an error message. */
const MAX_ECHO = 60;

const ITEM_FORMS = 'title eq "…", title co "…" or tag eq "…"';
const VAULT_FORMS = 'name eq "…" or title eq "…"';

/**
 * Parses the `filter` query parameter of `GET /v1/vaults/{vault}/items`. Returns `undefined`
 * when there is no filter (absent, empty or only whitespace). Throws `invalid_input` for
 * anything else that is not `title eq "…"`, `title co "…"` or `tag eq "…"`.
 */
export function parseItemFilter(
  raw: string | undefined,
  decoding: FilterDecoding = {},
): ItemFilter | undefined {
  const clause = parseClause(raw, decoding, ITEM_FORMS);
  if (clause === undefined) return undefined;
  const { attribute, op, value } = clause;
  if (attribute === 'title' && (op === 'eq' || op === 'co')) return { attribute, op, value };
  if (attribute === 'tag' && op === 'eq') return { attribute, op, value };
  throw invalidFilter(raw, ITEM_FORMS);
}

/**
 * Parses the `filter` query parameter of `GET /v1/vaults`. The spec says `name eq "…"` but every
 * real client sends `title eq "…"`; both mean the vault's name. Returns `undefined` when there
 * is no filter; throws `invalid_input` for anything else.
 */
export function parseVaultFilter(
  raw: string | undefined,
  decoding: FilterDecoding = {},
): VaultFilter | undefined {
  const clause = parseClause(raw, decoding, VAULT_FORMS);
  if (clause === undefined) return undefined;
  const { attribute, op, value } = clause;
  if ((attribute === 'name' || attribute === 'title') && op === 'eq') return { attribute: 'name', op, value };
  throw invalidFilter(raw, VAULT_FORMS);
}

/**
 * Whether an item's overview passes the filter. `eq` is exact and case-sensitive: the SDKs turn
 * the list into "404 if none, 400 if several", so a loose match would make them fail on items
 * that merely look alike. `co` is a case-insensitive substring match, which is how 1Password
 * itself treats "contains". `tag eq` matches when any one tag is exactly the value.
 */
export function matchesItem(filter: ItemFilter, overview: { title: string; tags: string[] }): boolean {
  if (filter.attribute === 'tag') return overview.tags.includes(filter.value);
  if (filter.op === 'eq') return overview.title === filter.value;
  return overview.title.toLowerCase().includes(filter.value.toLowerCase());
}

/** Whether a vault passes the filter: its name equals the value exactly (case-sensitive). */
export function matchesVault(filter: VaultFilter, vault: { name: string }): boolean {
  return vault.name === filter.value;
}

interface Clause {
  attribute: string;
  op: string;
  value: string;
}

/** Splits a filter into lower-cased attribute and operator and the verbatim value. */
function parseClause(raw: string | undefined, decoding: FilterDecoding, forms: string): Clause | undefined {
  if (raw === undefined) return undefined;
  const decoded = decoding.plusIsSpace === false ? raw : raw.replaceAll('+', ' ');
  const text = decoded.trim();
  if (text === '') return undefined;
  const match = CLAUSE.exec(text);
  if (match === null) throw invalidFilter(raw, forms);
  const [, attribute = '', op = '', value = ''] = match;
  return { attribute: attribute.toLowerCase(), op: op.toLowerCase(), value };
}

function invalidFilter(raw: string | undefined, forms: string): Error {
  return invalidInput(`Invalid filter ${echo(raw ?? '')}: expected ${forms}`);
}

/**
 * The filter as the client sent it, cut to `MAX_ECHO` code points (never splitting a surrogate
 * pair) and JSON-quoted so control characters cannot forge log lines.
 */
function echo(raw: string): string {
  const points = Array.from(raw.trim());
  const shown = points.length > MAX_ECHO ? `${points.slice(0, MAX_ECHO).join('')}…` : raw.trim();
  return JSON.stringify(shown);
}
