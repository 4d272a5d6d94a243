import { type AppError, forbidden, invalidInput } from '../../errors/app-error.js';
import { UNCREATABLE_MESSAGE } from '../items/input.js';
import { UNCREATABLE_CATEGORIES } from '../items/types.js';
import type { PatchOperation } from './patch.js';
import { show } from './patch-errors.js';

/**
 * What a caller without READ may PATCH: only what it can state without seeing the item.
 *
 * Whether an operation applies to an item, and whether the result is a valid item, depends on
 * the item: a field id it has or lacks, how many tags it holds, which field is the USERNAME, the
 * value a field's new type must accept. Answering a write-only caller "it failed" is already
 * an oracle, whatever the message says: `replace /fields/password/type` with DATE would succeed
 * exactly when the stored password reads as a date. So a write-only PATCH is refused up front
 * (`403 forbidden`, before the item is read, so the refusal says nothing about it) unless the
 * result of every operation is fixed by the request alone:
 * - `add`/`replace` of `/`, `/title`, `/category`, `/favorite`; `remove /favorite`;
 * - `add`/`replace`/`remove` of the whole `/tags` or `/urls` list;
 * - `replace`/`remove` of the whole `/fields` or `/sections` list, except that fields naming a
 *   section need `/sections` set by the same patch, and setting `/sections` needs `/fields`
 *   set too (the stored fields may name a section);
 * and it may not set a category a create refuses (CUSTOM, DOCUMENT).
 *
 * Everything else (an element by id or index, `-`, appending with `add /fields`) needs READ.
 * The one stored fact such a patch can still run into is the 1 MiB limit of the whole item;
 * the service answers that with one message that names nothing (`patch_not_applicable`). It is
 * still an oracle on size (padding the patch finds how large the parts it left are, near the
 * limit), never on content; docs/connect.md says so.
 */
export function checkBlindPatch(operations: readonly PatchOperation[], vaultId: string): void {
  let fieldsSet = false;
  let sectionsSet = false;
  let fieldsNameSection = false;
  let sectionsOp: PatchOperation | undefined;
  for (const operation of operations) {
    const { target, op, at, value } = operation;
    const whole =
      target.kind === 'item' ||
      target.kind === 'scalar' ||
      (target.kind === 'list' && !(op === 'add' && (target.name === 'fields' || target.name === 'sections')));
    if (!whole) throw needsRead(operation, vaultId);
    if (target.kind === 'item' || (target.kind === 'scalar' && target.name === 'category')) {
      const category = target.kind === 'item' ? (value as { category?: unknown }).category : value;
      if (typeof category === 'string' && UNCREATABLE_CATEGORIES.has(category as never)) {
        const path = target.kind === 'item' ? `patch[${at}].value.category` : `patch[${at}].value`;
        throw invalidInput(`${path}: ${UNCREATABLE_MESSAGE}`);
      }
    }
    if (target.kind === 'item') {
      fieldsSet = true;
      sectionsSet = true;
    } else if (target.kind === 'list' && target.name === 'fields') {
      fieldsSet = true;
      fieldsNameSection = op !== 'remove' && namesSection(value);
    } else if (target.kind === 'list' && target.name === 'sections') {
      sectionsSet = true;
      sectionsOp = operation;
    }
  }
  if (sectionsSet && !fieldsSet && sectionsOp) {
    throw forbidden(
      `patch[${sectionsOp.at}]: a caller without read access to vault ${vaultId} can set /sections only ` +
        'in a patch that also sets /fields (the fields it cannot see may name a section)',
    );
  }
  if (fieldsSet && !sectionsSet && fieldsNameSection) {
    throw forbidden(
      `a caller without read access to vault ${vaultId} can set fields that name a section only ` +
        'in a patch that also sets /sections (it cannot see the sections the item has)',
    );
  }
}

function namesSection(fields: unknown): boolean {
  return (
    Array.isArray(fields) &&
    fields.some((field) => {
      const section = (field as { section?: { id?: unknown } | null } | null)?.section;
      return typeof section?.id === 'string' && section.id !== '';
    })
  );
}

function needsRead({ at, path }: PatchOperation, vaultId: string): AppError {
  return forbidden(
    `patch[${at}]: ${show(path)} needs read access to vault ${vaultId}: it patches part of a list the ` +
      'caller cannot see; without read access, set whole attributes (/, /title, /category, /favorite, ' +
      '/tags, /urls, /fields, /sections) or replace the item with PUT',
  );
}
