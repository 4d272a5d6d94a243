import { isId } from '../../crypto/ids.js';
import type { VaultAuthorizationDetail } from '../../storage/ports.js';
import type { VaultDetailGrant } from '../access/permissions.js';
import { hasControl, ITEM_LIMITS } from '../items/input.js';
import { invalidAuthorizationDetails, type OAuthError } from './oauth-error.js';

export type { VaultAuthorizationDetail } from '../../storage/ports.js';

/**
 * Rich authorization requests (RFC 9396). One type, `keyhold_vault`: access to named vaults of the
 * vault API, optionally narrowed to named items of one vault, for `read` and/or `write`, and a
 * read of named items optionally narrowed to named fields of them:
 *
 *     [{"type":"keyhold_vault","vaults":["<vault id>"],"items":["<item id>"],"actions":["read"]},
 *      {"type":"keyhold_vault","vaults":["<vault id>"],"items":["<item id>"],
 *       "fields":["<field id>"],"actions":["read"]}]
 *
 * Fields are named by their id in the item (`fields[].id` of the vault API's item, e.g.
 * `password`), exactly: ids are what a client sees and what stays put when a field is relabelled;
 * the consent page shows the user the fields' labels. A field narrowing reads only: a write
 * answers with the whole item and replaces what it does not name, so it cannot be held to fields.
 *
 * Strict, as scopes are: an unknown type, field or action, a wrong shape, a repeated or malformed
 * id, too many entries — each is refused with `invalid_authorization_details` (§5) naming what is
 * wrong, never dropped. Each approved entry stands for the one-vault scopes it implies (`vault:{id}:read|write`), which
 * the grant and its tokens carry, so consent, narrowing and revocation work as for scopes; the
 * details then narrow the token further, to what one of them allows (decide.ts).
 */
export const VAULT_DETAIL_TYPE = 'keyhold_vault';
export const AUTHORIZATION_DETAILS_TYPES = [VAULT_DETAIL_TYPE] as const;
export const DETAIL_ACTIONS = ['read', 'write'] as const;
/** Bounds: a consent page a person can read, and a parameter that stays small. */
export const MAX_DETAILS = 10;
export const MAX_VAULTS_PER_DETAIL = 20;
export const MAX_ITEMS_PER_DETAIL = 50;
export const MAX_FIELDS_PER_DETAIL = 20;
/** The longest field id an item can hold. */
export const MAX_FIELD_ID_LENGTH = ITEM_LIMITS.idLength;
const MAX_PARAMETER_LENGTH = 16_384;
const FIELDS = new Set(['type', 'vaults', 'items', 'actions', 'fields']);

/**
 * Parses and validates the `authorization_details` parameter; an OAuthError (returned, not
 * thrown, so each endpoint reports it its own way) describes what is wrong.
 */
export function parseAuthorizationDetails(raw: string): VaultAuthorizationDetail[] | OAuthError {
  try {
    return parse(raw);
  } catch (error) {
    if (error instanceof DetailError) return invalidAuthorizationDetails(error.message);
    throw error;
  }
}

class DetailError extends Error {}
/**
 * A value of the request, as an error description may carry it (RFC 6749 §5.2: printable ASCII
 * without `"` and `\\`): short, and in backquotes.
 */
const shown = (value: unknown): string =>
  `\`${String(typeof value === 'string' ? value : JSON.stringify(value))
    .replace(/[^\x20-\x7e]|["\\`]/g, '?')
    .slice(0, 40)}\``;
const refuse = (message: string): never => {
  throw new DetailError(message);
};

function parse(raw: string): VaultAuthorizationDetail[] {
  if (raw.length > MAX_PARAMETER_LENGTH)
    refuse(`authorization_details is longer than ${MAX_PARAMETER_LENGTH} characters`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    refuse('authorization_details is not JSON: send a JSON array of objects');
  }
  if (!Array.isArray(value)) refuse('authorization_details must be a JSON array of objects');
  const entries = value as unknown[];
  if (entries.length === 0) refuse('authorization_details is empty: leave it out, or name what you need');
  if (entries.length > MAX_DETAILS)
    refuse(`authorization_details has ${entries.length} entries; at most ${MAX_DETAILS}`);
  const details = entries.map((entry, index) => parseEntry(entry, `authorization_details[${index}]`));
  const seen = new Set<string>();
  details.forEach((detail, index) => {
    const key = detailKey(detail);
    if (seen.has(key)) refuse(`authorization_details[${index}] repeats an earlier entry`);
    seen.add(key);
  });
  return details;
}

function parseEntry(entry: unknown, at: string): VaultAuthorizationDetail {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    refuse(`${at} must be a JSON object`);
  const object = entry as Record<string, unknown>;
  const { type } = object;
  if (typeof type !== 'string') refuse(`${at}.type is missing: this server supports ${VAULT_DETAIL_TYPE}`);
  if (type !== VAULT_DETAIL_TYPE) {
    refuse(`${at}.type ${shown(type)} is not supported: this server supports ${VAULT_DETAIL_TYPE}`);
  }
  for (const key of Object.keys(object)) {
    if (!FIELDS.has(key)) {
      refuse(
        `${at} has an unknown field ${shown(key)}: ${VAULT_DETAIL_TYPE} takes vaults, items, fields and actions`,
      );
    }
  }
  const vaults = ids(object.vaults, `${at}.vaults`, 'vault', MAX_VAULTS_PER_DETAIL);
  const detail: VaultAuthorizationDetail = {
    type: VAULT_DETAIL_TYPE,
    vaults,
    actions: actionsOf(object.actions, `${at}.actions`),
  };
  if ('items' in object) {
    if (vaults.length !== 1) refuse(`${at}.items narrows one vault: name exactly one in \`vaults\``);
    detail.items = ids(object.items, `${at}.items`, 'item', MAX_ITEMS_PER_DETAIL);
  }
  if ('fields' in object) {
    if (!detail.items) refuse(`${at}.fields narrows items: name the items they are fields of in \`items\``);
    if (detail.actions.length !== 1 || detail.actions[0] !== 'read') {
      refuse(
        `${at}.fields narrows a read only: its actions must be read alone (a write answers with the whole item and replaces fields it does not name, so it cannot be held to fields); ask for write in an entry without fields`,
      );
    }
    detail.fields = fieldIds(object.fields, `${at}.fields`);
  }
  return detail;
}

/**
 * Field ids as an item holds them (`fields[].id`), compared exactly: non-empty, printable
 * (no control characters), at most MAX_FIELD_ID_LENGTH characters, none twice.
 */
function fieldIds(value: unknown, at: string): string[] {
  if (!Array.isArray(value) || value.length === 0)
    refuse(`${at} must be a non-empty JSON array of field ids (the \`id\` of each field of the item)`);
  const list = value as unknown[];
  if (list.length > MAX_FIELDS_PER_DETAIL)
    refuse(`${at} names ${list.length} fields; at most ${MAX_FIELDS_PER_DETAIL}`);
  for (const value of list) {
    if (typeof value !== 'string' || value === '')
      refuse(
        `${at} holds ${shown(value)}: a field id is a non-empty string (the field's \`id\` in the item)`,
      );
    const id = value as string;
    if (id.length > MAX_FIELD_ID_LENGTH)
      refuse(`${at} holds a field id longer than ${MAX_FIELD_ID_LENGTH} characters`);
    if (hasControl(id))
      refuse(`${at} holds a field id with a control character: field ids are single-line text`);
  }
  if (new Set(list).size !== list.length) refuse(`${at} names a field twice`);
  return list as string[];
}

function ids(value: unknown, at: string, what: string, max: number): string[] {
  if (value === undefined) refuse(`${at} is missing: a JSON array of ${what} ids`);
  if (!Array.isArray(value) || value.length === 0)
    refuse(`${at} must be a non-empty JSON array of ${what} ids`);
  const list = value as unknown[];
  if (list.length > max) refuse(`${at} names ${list.length} ${what}s; at most ${max}`);
  for (const id of list) {
    if (typeof id !== 'string' || !isId(id))
      refuse(`${at} holds something that is not a ${what} id (26 lower-case letters and digits)`);
  }
  if (new Set(list).size !== list.length) refuse(`${at} names a ${what} twice`);
  return list as string[];
}

function actionsOf(value: unknown, at: string): VaultAuthorizationDetail['actions'] {
  if (!Array.isArray(value) || value.length === 0)
    refuse(`${at} must be a non-empty JSON array: read, write or both`);
  const list = value as unknown[];
  for (const action of list) {
    if (typeof action !== 'string' || !(DETAIL_ACTIONS as readonly string[]).includes(action)) {
      refuse(`${at} holds ${shown(action)}: the actions are read and write`);
    }
  }
  if (new Set(list).size !== list.length) refuse(`${at} names an action twice`);
  // One order, whatever the request's: entries compare by their JSON (detailKey).
  return DETAIL_ACTIONS.filter((a) => list.includes(a));
}

/** A detail's identity: two entries granting the same thing have the same key. */
export const detailKey = (detail: VaultAuthorizationDetail): string =>
  JSON.stringify([
    detail.type,
    [...detail.vaults].sort(),
    detail.items === undefined ? null : [...detail.items].sort(),
    [...detail.actions].sort(),
    detail.fields === undefined ? null : [...detail.fields].sort(),
  ]);

/** The one-vault scopes the details stand for: `vault:{id}:{action}` for each vault and action. */
export function detailScopes(details: readonly VaultAuthorizationDetail[]): string[] {
  const scopes = new Set<string>();
  for (const detail of details)
    for (const vault of detail.vaults)
      for (const action of detail.actions) scopes.add(`vault:${vault}:${action}`);
  return [...scopes];
}

/** The details as `decide` holds a principal to them. */
export const detailGrants = (details: readonly VaultAuthorizationDetail[]): VaultDetailGrant[] =>
  details.map((d) => ({
    vaults: new Set(d.vaults),
    items: d.items === undefined ? null : new Set(d.items),
    fields: d.fields === undefined ? null : new Set(d.fields),
    actions: new Set(d.actions),
  }));

/** Those of `asked` that are among `held` (the same grant, compared by key). */
export function heldDetails(
  asked: readonly VaultAuthorizationDetail[],
  held: readonly VaultAuthorizationDetail[],
): VaultAuthorizationDetail[] {
  const keys = new Set(held.map(detailKey));
  return asked.filter((d) => keys.has(detailKey(d)));
}
