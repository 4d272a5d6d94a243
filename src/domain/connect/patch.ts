import { z } from 'zod';
import { invalidInput } from '../../errors/app-error.js';
import { zodIssueMessage } from '../../errors/zod.js';
import type { ConnectFullItem } from '../items/present.js';
import { fail, show } from './patch-errors.js';
import { checkOperationValue } from './patch-values.js';

/**
 * `PATCH /v1/vaults/{vault}/items/{item}`: RFC 6902 `add`, `remove` and `replace` applied to the
 * item's Connect JSON, with Connect's conventions rather than plain JSON Pointer semantics:
 * - `/` is the whole item;
 * - `/fields` and `/sections` are addressed by the element's `id`, not its index
 *   (`/fields/password/value`), and `add` on the list itself appends one element;
 * - `/tags` and `/urls` are addressed by index, with `-` meaning "after the last" for `add`.
 *
 * In two steps, so that what a caller is told can depend on whether it may read the item:
 * 1. `parseItemPatch` checks the operations on their own, before the item is read: the body,
 *    each path, and each value by the rules a create applies to that part of an item. Its
 *    messages name the operation (`patch[2].value: …`) and never the item.
 * 2. `applyItemPatch` applies them to the current item. What fails here depends on the stored
 *    item (an id it lacks, an index past the end). The result is an item body, not a stored
 *    item: the caller validates it with `parseItemInput` exactly as it would a PUT body.
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

export type KeyedList = 'fields' | 'sections';
export type IndexedList = 'tags' | 'urls';
export type Scalar = 'title' | 'category' | 'favorite';

/** What an operation's path designates. */
export type PatchTarget =
  | { kind: 'item' }
  | { kind: 'scalar'; name: Scalar }
  | { kind: 'list'; name: IndexedList | KeyedList }
  | { kind: 'index'; name: IndexedList; index: number | '-' }
  | { kind: 'element'; name: KeyedList; id: string }
  | { kind: 'attribute'; name: KeyedList; id: string; attribute: string };

/** One checked operation; `at` is its position in the request, for messages. */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path: string;
  target: PatchTarget;
  /** Absent for `remove`. */
  value?: unknown;
  at: number;
}

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
 * Step 1: checks a JSON Patch body on its own. Throws `invalid_input` naming the operation
 * (`patch[2]: …`); nothing here depends on, or reveals, the item it will be applied to.
 */
export function parseItemPatch(raw: unknown): PatchOperation[] {
  const parsed = opsSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw bodyError(parsed.error);
  return parsed.data.map((op, at) => {
    if (op.op !== 'remove' && op.value === undefined) throw fail(at, `${op.op} needs a value`);
    const target = resolve(op.op, op.path, at);
    const operation: PatchOperation = { op: op.op, path: op.path, target, at };
    if (op.op !== 'remove') {
      // Cloned so applying never modifies the request body that supplied the value.
      operation.value = checkOperationValue(operation, structuredClone(op.value));
    }
    return operation;
  });
}

function bodyError(error: z.ZodError): Error {
  const [issue] = error.issues;
  if (issue === undefined) return invalidInput('patch: invalid');
  // `patch[2].op: …` reads better than zod's `patch.2.op` and matches the other messages here.
  const [index, ...rest] = issue.path;
  const base = typeof index === 'number' ? `patch[${index}]` : 'patch';
  const path = typeof index === 'number' ? rest : issue.path;
  return invalidInput(zodIssueMessage({ ...issue, path }, base));
}

/** What `path` designates, or `invalid_input` when it is not a path a patch may use. */
function resolve(op: PatchOperation['op'], path: string, at: number): PatchTarget {
  const [head, ...rest] = parsePointer(path, at);
  if (head === undefined) {
    if (op === 'remove') {
      throw fail(at, 'the whole item cannot be removed; delete it with DELETE on the item instead');
    }
    return { kind: 'item' };
  }
  if (READ_ONLY.has(head)) throw fail(at, `${show(`/${head}`)} is read-only and cannot be patched`);
  switch (head) {
    case 'title':
    case 'category':
    case 'favorite':
      if (rest.length > 0) break;
      // An item always has a title and a category; removing one would silently default it.
      if (op === 'remove' && head !== 'favorite')
        throw fail(at, `${show(path)} cannot be removed; replace it instead`);
      return { kind: 'scalar', name: head };
    case 'tags':
    case 'urls': {
      const [token, ...more] = rest;
      if (more.length > 0) break;
      if (token === undefined) return { kind: 'list', name: head };
      return { kind: 'index', name: head, index: parseIndex(head, token, op, at) };
    }
    case 'fields':
    case 'sections': {
      const [id, attribute, ...more] = rest;
      if (more.length > 0) break;
      if (id === undefined) return { kind: 'list', name: head };
      if (id === '') break;
      if (attribute === undefined) return { kind: 'element', name: head, id };
      if (!ATTRIBUTES[head].has(attribute)) break;
      return { kind: 'attribute', name: head, id, attribute };
    }
  }
  throw fail(at, `unsupported path ${show(path)}; ${ACCEPTED_PATHS}`);
}

function parseIndex(name: IndexedList, token: string, op: PatchOperation['op'], at: number): number | '-' {
  if (token === '-') {
    if (op !== 'add') throw fail(at, `"-" (after the last element) can only be used with add, not ${op}`);
    return '-';
  }
  if (!/^(0|[1-9][0-9]*)$/.test(token)) {
    throw fail(at, `${show(token)} is not an index into ${name}; use 0, 1, … or - (add at the end)`);
  }
  return Number(token);
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

/** A JSON object being patched. */
type Doc = Record<string, unknown>;

/**
 * Step 2: applies checked operations to `current` and returns the new item body, to be
 * validated with `parseItemInput` and stored by the caller. `current` is never modified.
 * Throws `invalid_input` naming the operation (`patch[2]: no field "abc" in the item`); these
 * messages describe the stored item, so only a caller that may read it is shown them.
 */
export function applyItemPatch(current: ConnectFullItem, operations: readonly PatchOperation[]): unknown {
  let item = structuredClone(current) as unknown as Doc;
  for (const operation of operations) item = applyOne(item, operation, current);
  return item;
}

/** Applies one operation; returns the item (a new object only when `/` was replaced). */
function applyOne(item: Doc, operation: PatchOperation, current: ConnectFullItem): Doc {
  const { op, target, at } = operation;
  // Cloned again: the same checked value may be applied to more than one item.
  const value: unknown = structuredClone(operation.value);
  switch (target.kind) {
    case 'item':
      // The identity comes from the URL, never the body.
      return { ...(value as Doc), id: current.id, vault: { id: current.vault.id } };
    case 'scalar':
      if (op !== 'remove') item[target.name] = value;
      else item.favorite = false;
      return item;
    case 'list':
      if (op === 'add' && (target.name === 'fields' || target.name === 'sections'))
        listOf(item, target.name, at).push(value);
      else item[target.name] = op === 'remove' ? [] : value;
      return item;
    case 'index':
      patchIndexed(listOf(item, target.name, at), target, op, value, at);
      return item;
    case 'element':
    case 'attribute':
      patchKeyed(item, target, op, value, at);
      return item;
  }
}

/** `/tags/{index}`, `/urls/{index}` (`-` appends). */
function patchIndexed(
  list: unknown[],
  target: Extract<PatchTarget, { kind: 'index' }>,
  op: PatchOperation['op'],
  value: unknown,
  at: number,
): void {
  if (target.index === '-') {
    list.push(value);
    return;
  }
  const { index, name } = target;
  const size = `${name} has ${list.length} element${list.length === 1 ? '' : 's'}`;
  if (op === 'add') {
    if (index > list.length) throw fail(at, `index ${index} is past the end (${size})`);
    list.splice(index, 0, value);
    return;
  }
  if (index >= list.length) throw fail(at, `no element at index ${index} (${size})`);
  if (op === 'remove') list.splice(index, 1);
  else list[index] = value;
}

/** `/fields/{id}`, `/sections/{id}` and their attributes. */
function patchKeyed(
  item: Doc,
  target: Extract<PatchTarget, { kind: 'element' | 'attribute' }>,
  op: PatchOperation['op'],
  value: unknown,
  at: number,
): void {
  const { name, id } = target;
  const list = listOf(item, name, at);
  const index = list.findIndex((element) => isObject(element) && element.id === id);
  const attribute = target.kind === 'attribute' ? target.attribute : undefined;
  // RFC 6902 `add` may create its target, so only `add` of a whole element may miss.
  if (index < 0 && (op !== 'add' || attribute !== undefined)) {
    throw fail(at, `no ${name === 'fields' ? 'field' : 'section'} ${show(id)} in the item`);
  }

  if (attribute === undefined) {
    if (op === 'remove') {
      list.splice(index, 1);
      return;
    }
    // The path names the element, so its id wins over any id in the value.
    const { id: _ignored, ...body } = value as Doc;
    const element = { id, ...body };
    if (index < 0) list.push(element);
    else list[index] = element;
    return;
  }

  const element = list[index] as Doc;
  if (op !== 'remove') element[attribute] = value;
  else if (CLEARED_ON_REMOVE[name].has(attribute)) element[attribute] = '';
  else delete element[attribute];
  for (const derived of DERIVED[attribute] ?? []) delete element[derived];
}

/** The list at `item[name]`, created when absent (Connect omits empty `urls`). */
function listOf(item: Doc, name: string, at: number): unknown[] {
  const list = item[name] ?? [];
  if (!Array.isArray(list)) throw fail(at, `"/${name}" is not a list, so it has no elements to patch`);
  item[name] = list;
  return list;
}

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
