import { invalidInput, isAppError } from '../../errors/app-error.js';
import {
  buildItemContent,
  checkFields,
  checkSections,
  ITEM_PARTS,
  parseItemInput,
  parseItemPart,
} from '../items/input.js';
import type { PatchOperation } from './patch.js';
import { fail, show } from './patch-errors.js';

/**
 * The value an `add` or `replace` operation carries, checked on its own by the rules a create
 * applies to the part of an item it sets: a title as a title, a field as a field (its value by
 * its type), a list as a list (its size, unique ids and purposes). Runs before the item is read,
 * so its messages (`patch[2].value.type: must be one of …`) depend only on the request.
 *
 * What needs the item is left to the merged result: whether a field's section exists, a value
 * set alone (`/fields/{id}/value`) against the field's type, and a category CUSTOM or DOCUMENT,
 * which an item that already has it may keep. Returns `value` unchanged.
 */
export function checkOperationValue(operation: Omit<PatchOperation, 'value'>, value: unknown): unknown {
  const { target, op, at, path } = operation;
  const base = `patch[${at}].value`;
  switch (target.kind) {
    case 'item': {
      const input = parseItemInput(objectValue(value, at, path, 'an item object'), base);
      within(base, () => buildItemContent(input, { keepCategory: input.category }));
      break;
    }
    case 'scalar':
      parseItemPart(ITEM_PARTS.item[target.name], value, base);
      break;
    case 'list':
      if (op === 'add' && target.name === 'fields')
        checkField(objectValue(value, at, path, 'a field object'), base);
      else if (op === 'add' && target.name === 'sections')
        parseItemPart(ITEM_PARTS.section, objectValue(value, at, path, 'a section object'), base);
      else if (target.name === 'fields')
        checkFields(parseItemPart(ITEM_PARTS.item.fields, value, base) ?? [], (i) => `${base}[${i}]`);
      else if (target.name === 'sections')
        checkSections(parseItemPart(ITEM_PARTS.item.sections, value, base) ?? [], (i) => `${base}[${i}]`);
      else parseItemPart(ITEM_PARTS.item[target.name], value, base);
      break;
    case 'index':
      parseItemPart(target.name === 'tags' ? ITEM_PARTS.tag : ITEM_PARTS.url, value, base);
      break;
    case 'element': {
      const what = target.name === 'fields' ? 'a field object' : 'a section object';
      // The path names the element, so its id wins over any id in the value.
      const element = { ...objectValue(value, at, path, what), id: target.id };
      if (target.name === 'fields') checkField(element, base);
      else parseItemPart(ITEM_PARTS.section, element, base);
      break;
    }
    case 'attribute': {
      const shape: Record<string, (typeof ITEM_PARTS.field.shape)[keyof typeof ITEM_PARTS.field.shape]> =
        target.name === 'fields' ? ITEM_PARTS.field.shape : ITEM_PARTS.section.shape;
      const schema = shape[target.attribute];
      if (schema) parseItemPart(schema, value, base);
      break;
    }
  }
  return value;
}

function checkField(raw: Record<string, unknown>, base: string): void {
  checkFields([parseItemPart(ITEM_PARTS.field, raw, base)], () => base);
}

function objectValue(value: unknown, at: number, path: string, what: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw fail(at, `the value for ${show(path)} must be ${what}, got ${type}`);
}

/** Runs `check`, naming its messages' paths under `base` (`fields[0].type` → `base.fields[0].type`). */
function within(base: string, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (!isAppError(error) || error.code !== 'invalid_input') throw error;
    const pathFirst = /^[\w.[\]]+: /.test(error.message);
    throw invalidInput(pathFirst ? `${base}.${error.message}` : `${base}: ${error.message}`);
  }
}
