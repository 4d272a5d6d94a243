import { z } from 'zod';
import { invalidInput } from '../../errors/app-error.js';
import { zodIssueMessage } from '../../errors/zod.js';
import type { ConnectFullItem } from '../items/present.js';

/**
 * `PATCH /v1/vaults/{vault}/items/{item}`: RFC 6902 `add`, `remove` and `replace` applied to the
 * item's Connect JSON, with Connect's conventions rather than plain JSON Pointer semantics:
 * - `/` is the whole item;
 * - `/fields` and `/sections` are addressed by the element's `id`, not its index
 *   (`/fields/password/value`), and `add` on the list itself appends one element;
 * - `/tags` and `/urls` are addressed by index, with `-` meaning "after the last" for `add`.
 *
 * The result is an item body, not a stored item: the caller validates it with `parseItemInput`
 * exactly as it would a PUT body, so this module checks only what it needs to navigate.
 */

/** More operations than any real client sends; bounds the work one request can ask for. */
const MAX_OPS = 1000;

const opSchema = z.strictObject({
  op: z.enum(['add', 'remove', 'replace']),
  path: z.string().max(1024),
  // `null` is a value (RFC 6902); only a missing member is "no value".
  value: z.unknown().optional(),
});
const opsSchema = z.array(opSchema).max(MAX_OPS);
type Op = z.infer<typeof opSchema>;

/** A JSON object being patched. */
type Doc = Record<string, unknown>;

/** Attributes the server owns; PUT bodies may echo them, a patch may not set them. */
const READ_ONLY = new Set([
  'id',
  'vault',
  'version',
  'createdAt',
  'updatedAt',
  'lastEditedBy',
  'files',
  'state',
]);

/** Attributes each keyed list's elements expose to `/{list}/{id}/{attribute}`. */
const ATTRIBUTES: Record<KeyedList, ReadonlySet<string>> = {
  fields: new Set(['label', 'value', 'type', 'purpose', 'section']),
  sections: new Set(['label']),
};
type KeyedList = 'fields' | 'sections';

/** Removing these empties them rather than deleting them, matching a field's JSON shape. */
const CLEARED_ON_REMOVE: Record<KeyedList, ReadonlySet<string>> = {
  fields: new Set(['label', 'value']),
  sections: new Set(),
};

/** Output the server derives from a field's value and type; stale once either changes. */
const DERIVED: Partial<Record<string, readonly string[]>> = {
  value: ['totp', 'entropy'],
  type: ['totp'],
};

const ACCEPTED_PATHS =
  'accepted: /, /title, /category, /favorite, /tags, /tags/{index}, /urls, /urls/{index}, ' +
  '/sections, /sections/{id}, /sections/{id}/label, /fields, /fields/{id} and ' +
  '/fields/{id}/{label|value|type|purpose|section}';

/**
 * Applies a JSON Patch body to `current` and returns the new item body, to be validated with
 * `parseItemInput` and stored by the caller. `current` is never modified. Throws
 * `invalid_input` naming the operation (`patch[2]: no field "abc" in the item`).
 */
export function applyItemPatch(current: ConnectFullItem, rawOps: unknown): unknown {
  const ops = parseOps(rawOps);
  let item = structuredClone(current) as unknown as Doc;
  ops.forEach((op, at) => {
    item = applyOne(item, op, at, current);
  });
  return item;
}

function parseOps(raw: unknown): Op[] {
  const parsed = opsSchema.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  if (issue === undefined) throw invalidInput('patch: invalid');
  // `patch[2].op: …` reads better than zod's `patch.2.op` and matches the other messages here.
  const [index, ...rest] = issue.path;
  const base = typeof index === 'number' ? `patch[${index}]` : 'patch';
  const path = typeof index === 'number' ? rest : issue.path;
  throw invalidInput(zodIssueMessage({ ...issue, path }, base));
}

/** Applies one operation; returns the item (a new object only when `/` was replaced). */
function applyOne(item: Doc, op: Op, at: number, current: ConnectFullItem): Doc {
  if (op.op !== 'remove' && op.value === undefined) throw fail(at, `${op.op} needs a value`);
  // Cloned so later operations never modify the request body that supplied the value.
  const value: unknown = structuredClone(op.value);
  const segments = parsePointer(op.path, at);
  const [head, ...rest] = segments;
  if (head === undefined) return replaceWhole(op, value, at, current);
  if (READ_ONLY.has(head)) throw fail(at, `${show(`/${head}`)} is read-only and cannot be patched`);
  switch (head) {
    case 'title':
    case 'category':
    case 'favorite':
      if (rest.length > 0) break;
      patchScalar(item, head, op, value, at);
      return item;
    case 'tags':
    case 'urls':
      if (rest.length > 1) break;
      patchIndexed(item, head, rest[0], op, value, at);
      return item;
    case 'fields':
    case 'sections':
      if (rest.length > 2) break;
      patchKeyed(item, head, rest, op, value, at);
      return item;
  }
  throw unsupported(op, at);
}

/** `/`: Connect's "replace the whole item". The identity comes from the URL, never the body. */
function replaceWhole(op: Op, value: unknown, at: number, current: ConnectFullItem): Doc {
  if (op.op === 'remove') {
    throw fail(at, 'the whole item cannot be removed; delete it with DELETE on the item instead');
  }
  const body = asObject(value, at, op.path, 'an item object');
  return { ...body, id: current.id, vault: { id: current.vault.id } };
}

/** `/title`, `/category`, `/favorite`: always present, so add and replace both set. */
function patchScalar(item: Doc, name: string, op: Op, value: unknown, at: number): void {
  if (op.op !== 'remove') {
    item[name] = value;
  } else if (name === 'favorite') {
    item.favorite = false;
  } else {
    // An item always has these; removing one would silently default it (category → LOGIN).
    throw fail(at, `${show(op.path)} cannot be removed; replace it instead`);
  }
}

/** `/tags`, `/urls`, and their elements by index (`-` appends). */
function patchIndexed(
  item: Doc,
  name: string,
  token: string | undefined,
  op: Op,
  value: unknown,
  at: number,
): void {
  if (token === undefined) {
    item[name] = op.op === 'remove' ? [] : value;
    return;
  }
  const list = listOf(item, name, at);
  if (token === '-') {
    if (op.op !== 'add')
      throw fail(at, `"-" (after the last element) can only be used with add, not ${op.op}`);
    list.push(value);
    return;
  }
  if (!/^(0|[1-9][0-9]*)$/.test(token)) {
    throw fail(at, `${show(token)} is not an index into ${name}; use 0, 1, … or - (add at the end)`);
  }
  const index = Number(token);
  const size = `${name} has ${list.length} element${list.length === 1 ? '' : 's'}`;
  if (op.op === 'add') {
    if (index > list.length) throw fail(at, `index ${token} is past the end (${size})`);
    list.splice(index, 0, value);
    return;
  }
  if (index >= list.length) throw fail(at, `no element at index ${token} (${size})`);
  if (op.op === 'remove') list.splice(index, 1);
  else list[index] = value;
}

/** `/fields`, `/sections`, their elements by id, and the elements' attributes. */
function patchKeyed(item: Doc, name: KeyedList, rest: string[], op: Op, value: unknown, at: number): void {
  const [id, attribute] = rest;
  if (id === undefined) {
    if (op.op === 'add') listOf(item, name, at).push(value);
    else item[name] = op.op === 'remove' ? [] : value;
    return;
  }
  const kind = name === 'fields' ? 'field' : 'section';
  if (id === '' || (attribute !== undefined && !ATTRIBUTES[name].has(attribute))) throw unsupported(op, at);
  const list = listOf(item, name, at);
  const index = list.findIndex((element) => isObject(element) && element.id === id);
  // RFC 6902 `add` may create its target, so only `add` of a whole element may miss.
  if (index < 0 && (op.op !== 'add' || attribute !== undefined)) {
    throw fail(at, `no ${kind} ${JSON.stringify(id)} in the item`);
  }

  if (attribute === undefined) {
    if (op.op === 'remove') {
      list.splice(index, 1);
      return;
    }
    // The path names the element, so its id wins over any id in the value.
    const { id: _ignored, ...body } = asObject(value, at, op.path, `a ${kind} object`);
    const element = { id, ...body };
    if (index < 0) list.push(element);
    else list[index] = element;
    return;
  }

  const element = list[index] as Doc;
  if (op.op !== 'remove') element[attribute] = value;
  else if (CLEARED_ON_REMOVE[name].has(attribute)) element[attribute] = '';
  else delete element[attribute];
  for (const derived of DERIVED[attribute] ?? []) delete element[derived];
}

/**
 * RFC 6901: `""` is the whole document; Connect also calls it `/`. Segments are unescaped
 * `~1` → `/` then `~0` → `~` (one pass, so `~01` is the literal `~1`).
 */
function parsePointer(path: string, at: number): string[] {
  if (path === '' || path === '/') return [];
  if (!path.startsWith('/'))
    throw fail(at, `path ${show(path)} must start with "/" (a JSON Pointer, RFC 6901)`);
  if (/~(?![01])/.test(path)) {
    throw fail(at, `path ${show(path)} has a "~" not followed by 0 or 1; write "~" as ~0 and "/" as ~1`);
  }
  return path
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~[01]/g, (pair) => (pair === '~1' ? '/' : '~')));
}

/** The list at `item[name]`, created when absent (Connect omits empty `urls`). */
function listOf(item: Doc, name: string, at: number): unknown[] {
  const list = item[name] ?? [];
  if (!Array.isArray(list)) throw fail(at, `"/${name}" is not a list, so it has no elements to patch`);
  item[name] = list;
  return list;
}

function asObject(value: unknown, at: number, path: string, what: string): Doc {
  if (isObject(value)) return value;
  throw fail(at, `the value for ${show(path)} must be ${what}, got ${typeName(value)}`);
}

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function unsupported(op: Op, at: number): Error {
  return fail(at, `unsupported path ${show(op.path)}; ${ACCEPTED_PATHS}`);
}

function fail(at: number, message: string): Error {
  return invalidInput(`patch[${at}]: ${message}`);
}

/** Paths are client text: quoted (no forged log lines) and cut short. */
function show(text: string): string {
  const points = Array.from(text);
  return JSON.stringify(points.length > 100 ? `${points.slice(0, 100).join('')}…` : text);
}
