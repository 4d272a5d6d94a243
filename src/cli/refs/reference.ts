import { CliError } from '../errors.js';

/**
 * Secret references: `keyhold://VAULT/ITEM[/SECTION]/FIELD[?attribute=A]`, and 1Password's
 * `op://…` with the same shape, so templates and env files written for `op` work unchanged.
 *
 * Each segment is a name (vault name, item title, section label, field label) or an id; which
 * one it is, and whether it is ambiguous, is decided later by `pickByNameOrId` against what the
 * source lists. Here the text is only taken apart:
 *
 * - `/` separates segments; a name containing `/` (or `?`, `%`, `}`) is written with percent
 *   escapes (`%2F`, `%3F`, `%25`, `%7D`), or addressed by its id as `op` asks.
 * - Spaces and any other character are literal: quote the whole reference for the shell
 *   (`keyhold read "op://Prod/My DB/password"`).
 * - The scheme is matched ignoring case; the names are matched by `pickByNameOrId`'s rule.
 *
 * This module is pure: no I/O, and every message names the reference as written (a reference is
 * never secret).
 */

export const SCHEMES = ['keyhold', 'op'] as const;
export type Scheme = (typeof SCHEMES)[number];

/**
 * What a reference asks of its field. `value` is the default; `otp` (alias `totp`) the current
 * code of a one-time-password field; `type`, `id`, `purpose` and `label` the field's metadata.
 */
export const ATTRIBUTES = ['value', 'otp', 'type', 'id', 'purpose', 'label'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

export interface SecretReference {
  /** The reference exactly as written (used in every message). */
  raw: string;
  scheme: Scheme;
  vault: string;
  item: string;
  section?: string;
  field: string;
  attribute: Attribute;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Whether `text` (trimmed) starts like a secret reference: `keyhold://` or `op://`. */
export function looksLikeReference(text: string): boolean {
  const scheme = SCHEME.exec(text.trim())?.[1]?.toLowerCase();
  return scheme !== undefined && (SCHEMES as readonly string[]).includes(scheme);
}

const SYNTAX = 'keyhold://VAULT/ITEM[/SECTION]/FIELD[?attribute=…] (or op://…)';

/** Takes a reference apart; a CliError naming the reference and what is wrong with it otherwise. */
export function parseReference(raw: string): SecretReference {
  const bad = (why: string) => new CliError(`invalid secret reference ${JSON.stringify(raw)}: ${why}`);
  const match = SCHEME.exec(raw);
  const scheme = match?.[1]?.toLowerCase();
  if (!match || scheme === undefined || !(SCHEMES as readonly string[]).includes(scheme)) {
    throw bad(`it must start with keyhold:// or op://; expected ${SYNTAX}`);
  }
  const rest = raw.slice(match[0].length);
  const question = rest.indexOf('?');
  const path = question < 0 ? rest : rest.slice(0, question);
  const query = question < 0 ? undefined : rest.slice(question + 1);

  const segments = path.split('/');
  if (segments.length < 3 || segments.length > 4) {
    throw bad(
      `expected 3 or 4 parts after ${scheme}:// (vault, item, optional section, field), got ${segments.length}: ${SYNTAX}; a name with "/" is written %2F`,
    );
  }
  const names = ['vault', 'item', ...(segments.length === 4 ? ['section'] : []), 'field'];
  const decoded = segments.map((segment, i) => {
    const what = names[i] as string;
    if (segment.trim() === '') throw bad(`the ${what} is empty`);
    return decodeSegment(segment, what, bad);
  });
  const [vault, item] = decoded as [string, string];
  const field = decoded[decoded.length - 1] as string;
  return {
    raw,
    scheme: scheme as Scheme,
    vault,
    item,
    ...(decoded.length === 4 ? { section: decoded[2] as string } : {}),
    field,
    attribute: parseQuery(query, bad),
  };
}

/** `%XX` escapes decoded as UTF-8; a `%` not followed by two hex digits is refused. */
function decodeSegment(segment: string, what: string, bad: (why: string) => CliError): string {
  if (!segment.includes('%')) return segment;
  if (/%(?![0-9a-f]{2})/i.test(segment)) {
    throw bad(`the ${what} has a "%" that does not start an escape like %2F; write a literal "%" as %25`);
  }
  try {
    return decodeURIComponent(segment);
  } catch {
    throw bad(`the ${what}'s percent escapes are not valid UTF-8`);
  }
}

function parseQuery(query: string | undefined, bad: (why: string) => CliError): Attribute {
  if (query === undefined || query === '') return 'value';
  let attribute: Attribute = 'value';
  const seen = new Set<string>();
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    const value = (eq < 0 ? '' : pair.slice(eq + 1)).toLowerCase();
    if (seen.has(key)) throw bad(`"${key}" is given twice`);
    seen.add(key);
    if (key === 'attribute') {
      const known = value === 'totp' ? 'otp' : value;
      if (!(ATTRIBUTES as readonly string[]).includes(known)) {
        throw bad(`unknown attribute ${JSON.stringify(value)}; known: ${ATTRIBUTES.join(', ')}`);
      }
      attribute = known as Attribute;
    } else if (key === 'ssh-format') {
      throw bad(
        'ssh-format is not supported: Keyhold stores SSH keys as plain fields; read the field as it is',
      );
    } else {
      throw bad(`unknown query parameter ${JSON.stringify(key)}; the only one is attribute=`);
    }
  }
  return attribute;
}

/** A reference written back in the canonical form, with escapes where a name needs them. */
export function formatReference(ref: Omit<SecretReference, 'raw'>): string {
  const escaped = (s: string) =>
    s.replace(/[%/?}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const path = [ref.vault, ref.item, ...(ref.section === undefined ? [] : [ref.section]), ref.field]
    .map(escaped)
    .join('/');
  return `${ref.scheme}://${path}${ref.attribute === 'value' ? '' : `?attribute=${ref.attribute}`}`;
}
