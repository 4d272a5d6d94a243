import { z } from 'zod';
import { newId } from '../../crypto/ids.js';
import { invalidInput } from '../../errors/app-error.js';
import { formatZodError } from '../../errors/zod.js';
import { validateFieldValue } from './field-values.js';
import { generatePassword, parseRecipe, recipeInputSchema } from './recipe.js';
import {
  CATEGORIES,
  type Category,
  FIELD_PURPOSES,
  FIELD_TYPES,
  type FieldPurpose,
  type FieldType,
  type ItemContent,
  type ItemDetails,
  type ItemField,
  type ItemSection,
  type ItemUrl,
  UNCREATABLE_CATEGORIES,
} from './types.js';

/**
 * An item as a client sends it on create (POST) and replace (PUT, PATCH of `/`), and its
 * normalization into the stored `ItemContent`.
 *
 * Leniency follows what real Connect clients send (shared reference, "What clients send"):
 * `null` means absent everywhere; an empty `id`, `type`, `category` or section id means absent
 * (the Go SDK sends zero values); read-only attributes echoed back on PUT (`createdAt`,
 * `entropy`, `totp`, …) are accepted and ignored. Anything else unknown is refused, so a
 * misspelt key is an error rather than silently lost data.
 */

/** Size limits, in one place so documentation can quote them. */
export const ITEM_LIMITS = Object.freeze({
  titleLength: 1000,
  labelLength: 1000,
  idLength: 256,
  hrefLength: 2048,
  tagLength: 256,
  urls: 100,
  tags: 100,
  sections: 100,
  fields: 1000,
  /** 64 KiB of UTF-8 per field value. */
  valueBytes: 64 * 1024,
  /** 1 MiB of UTF-8 for the serialized `ItemContent`. */
  contentBytes: 1024 * 1024,
});

/** Category given to items created without one (Connect requires it; we default rather than fail). */
export const DEFAULT_CATEGORY: Category = 'LOGIN';

const NO_NUL = 'must not contain U+0000';
const SINGLE_LINE =
  'must not contain control characters (U+0000-U+001F, U+007F) or line separators (U+2028, U+2029)';

/** True for characters that break single-line text in logs, lists and terminals. */
export function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}

const nullAbsent = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === null ? undefined : value), schema.optional());
/** Zero values the Go SDK sends for unset strings. */
const emptyAbsent = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === null || value === '' ? undefined : value), schema.optional());
/** Read-only attributes clients echo on PUT: accepted, never read. */
const echoed = z.unknown().optional();

const lineText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => !hasControl(text), SINGLE_LINE);
const idText = lineText(ITEM_LIMITS.idLength);
const labelText = lineText(ITEM_LIMITS.labelLength);

const valueText = z
  .string()
  .refine((text) => !text.includes('\u0000'), NO_NUL)
  .refine(
    (text) => Buffer.byteLength(text, 'utf8') <= ITEM_LIMITS.valueBytes,
    `must be at most ${ITEM_LIMITS.valueBytes} bytes (64 KiB) of UTF-8`,
  );

const titleText = z
  .string()
  .max(ITEM_LIMITS.titleLength)
  .refine((text) => text.trim() !== '', 'must not be empty or only whitespace')
  .refine((text) => !hasControl(text), SINGLE_LINE);

const tagText = lineText(ITEM_LIMITS.tagLength).refine(
  (text) => text.trim() !== '',
  'must not be empty or only whitespace',
);

const urlSchema = z.strictObject({
  label: nullAbsent(labelText),
  primary: nullAbsent(z.boolean()),
  href: z
    .string()
    .min(1)
    .max(ITEM_LIMITS.hrefLength)
    .refine((text) => !hasControl(text), SINGLE_LINE),
});

const sectionSchema = z.strictObject({
  id: emptyAbsent(idText),
  label: nullAbsent(labelText),
});

/**
 * A field type. Connect's OpenAPI spec names the one-time password type `TOTP`, while Connect
 * itself and its SDKs say `OTP`: both are accepted, and `OTP` is what is stored and served.
 */
const fieldType = z.preprocess((type) => (type === 'TOTP' ? 'OTP' : type), z.enum(FIELD_TYPES));

const fieldSchema = z.strictObject({
  id: emptyAbsent(idText),
  type: emptyAbsent(fieldType),
  purpose: nullAbsent(z.enum(FIELD_PURPOSES)),
  label: nullAbsent(labelText),
  value: nullAbsent(valueText),
  // Clients echo the section's label here (Go's ItemSection); only the id is used.
  section: nullAbsent(z.strictObject({ id: emptyAbsent(idText), label: nullAbsent(labelText) })),
  generate: nullAbsent(z.boolean()),
  recipe: nullAbsent(recipeInputSchema),
  entropy: echoed,
  totp: echoed,
});

/** The item body of create/replace requests. `version`, when given, is for conflict checks. */
export const itemInputSchema = z.strictObject({
  title: titleText,
  category: emptyAbsent(z.enum(CATEGORIES)),
  urls: nullAbsent(z.array(urlSchema).max(ITEM_LIMITS.urls)),
  tags: nullAbsent(z.array(tagText).max(ITEM_LIMITS.tags)),
  favorite: nullAbsent(z.boolean()),
  sections: nullAbsent(z.array(sectionSchema).max(ITEM_LIMITS.sections)),
  fields: nullAbsent(z.array(fieldSchema).max(ITEM_LIMITS.fields)),
  // 0 is Go's zero value for "not set".
  version: z.preprocess(
    (value) => (value === null || value === 0 ? undefined : value),
    z.number().int().min(1).optional(),
  ),
  // Identity is taken from the URL; these are kept so a route may check they agree.
  id: emptyAbsent(idText),
  vault: nullAbsent(z.strictObject({ id: emptyAbsent(idText) })),
  createdAt: echoed,
  updatedAt: echoed,
  lastEditedBy: echoed,
  trashed: echoed,
  state: echoed,
  files: echoed,
});

export type ItemInput = z.infer<typeof itemInputSchema>;
type FieldInput = NonNullable<ItemInput['fields']>[number];
type SectionInput = NonNullable<ItemInput['sections']>[number];

/**
 * The schemas of an item's parts, each exactly as it is checked inside a whole item, so that a
 * PATCH operation's value can be checked on its own, before the item it patches is read.
 */
export const ITEM_PARTS = Object.freeze({
  item: itemInputSchema.shape,
  field: fieldSchema,
  section: sectionSchema,
  url: urlSchema,
  tag: tagText,
});

/**
 * Validates a request body against `itemInputSchema`. Throws `invalid_input` whose message
 * describes the first problem as `"<path>: <what is wrong>"`, `basePath` prefixed to the path.
 */
export function parseItemInput(raw: unknown, basePath = ''): ItemInput {
  return parseItemPart(itemInputSchema, raw, basePath);
}

/** Validates one part of an item (see `ITEM_PARTS`); messages name `basePath`. */
export function parseItemPart<T extends z.ZodType>(schema: T, raw: unknown, basePath: string): z.output<T> {
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw invalidInput(formatZodError(parsed.error, basePath));
  return parsed.data;
}

/** Ids and labels 1Password gives the built-in fields when the client names none. */
const BUILT_IN: Partial<Record<FieldPurpose, { id: string; label: string }>> = {
  USERNAME: { id: 'username', label: 'username' },
  PASSWORD: { id: 'password', label: 'password' },
  NOTES: { id: 'notesPlain', label: 'notesPlain' },
};

/** Only free-text types can hold a generated password without failing their own validation. */
const GENERATABLE: ReadonlySet<FieldType> = new Set(['STRING', 'CONCEALED']);

/** Why an uncreatable category is refused; the same words for a create, a PUT and a PATCH. */
export const UNCREATABLE_MESSAGE = `${[...UNCREATABLE_CATEGORIES].join(' and ')} items cannot be created through the API, and no item can be changed into one`;

/**
 * Turns a validated input into the content to store. The result may have a category Connect
 * cannot create (CUSTOM, DOCUMENT) only when it is `keepCategory`, the category the stored item
 * already has: a write may keep one but never set one. `previous` (the stored details on
 * replace) lets a generated value that comes back unchanged keep its entropy. Throws
 * `invalid_input` naming the offending path, never a value.
 */
export function buildItemContent(
  input: ItemInput,
  options: { keepCategory?: Category; previous?: ItemDetails } = {},
): ItemContent {
  const category = input.category ?? DEFAULT_CATEGORY;
  if (UNCREATABLE_CATEGORIES.has(category) && category !== options.keepCategory) {
    throw invalidInput(`category: ${UNCREATABLE_MESSAGE}`);
  }
  const sections = buildSections(input.sections ?? []);
  const fields = buildFields(input.fields ?? [], new Set(sections.map((s) => s.id)), options.previous);
  const content: ItemContent = {
    overview: {
      title: input.title,
      category,
      urls: (input.urls ?? []).map(buildUrl),
      tags: [...new Set(input.tags ?? [])],
      favorite: input.favorite ?? false,
    },
    details: { sections, fields },
  };
  const bytes = Buffer.byteLength(JSON.stringify(content), 'utf8');
  if (bytes > ITEM_LIMITS.contentBytes) {
    throw invalidInput(
      `item: too large, ${bytes} bytes serialized; the limit is ${ITEM_LIMITS.contentBytes} (1 MiB)`,
    );
  }
  return content;
}

/**
 * Checks fields as a create would (types, values, generation, unique ids and purposes), except
 * whether the sections they name exist: that needs the item they go into. `pathOf(i)` names
 * the i-th field in messages.
 */
export function checkFields(inputs: FieldInput[], pathOf: (index: number) => string): void {
  buildFields(inputs, 'unchecked', undefined, pathOf);
}

/** Checks sections as a create would (unique ids); `pathOf(i)` names the i-th in messages. */
export function checkSections(inputs: SectionInput[], pathOf: (index: number) => string): void {
  buildSections(inputs, pathOf);
}

function buildUrl(url: NonNullable<ItemInput['urls']>[number]): ItemUrl {
  return {
    href: url.href,
    ...(url.label ? { label: url.label } : {}),
    ...(url.primary ? { primary: true } : {}),
  };
}

const sectionPath = (index: number) => `sections[${index}]`;
const fieldPath = (index: number) => `fields[${index}]`;

function buildSections(inputs: SectionInput[], pathOf = sectionPath): ItemSection[] {
  const firstUse = new Map<string, number>();
  inputs.forEach((section, i) => {
    if (section.id === undefined) return;
    const first = firstUse.get(section.id);
    if (first !== undefined) {
      throw invalidInput(
        `${pathOf(i)}.id: ${JSON.stringify(section.id)} is already used by ${pathOf(first)}`,
      );
    }
    firstUse.set(section.id, i);
  });
  return inputs.map((section) => ({
    id: section.id ?? newId(),
    ...(section.label ? { label: section.label } : {}),
  }));
}

/** `sectionIds` are the item's sections, or 'unchecked' to leave section references alone. */
function buildFields(
  inputs: FieldInput[],
  sectionIds: ReadonlySet<string> | 'unchecked',
  previous?: ItemDetails,
  pathOf = fieldPath,
): ItemField[] {
  checkUniqueIdsAndPurposes(inputs, pathOf);
  // Ids the client chose are reserved first, so a built-in id is only given away when free.
  const taken = new Set(inputs.flatMap((field) => (field.id === undefined ? [] : [field.id])));
  const before = new Map((previous?.fields ?? []).map((field) => [field.id, field]));

  return inputs.map((input, i) => {
    const path = pathOf(i);
    const type = input.type ?? 'STRING';
    const purpose = input.purpose ?? '';
    const builtIn = BUILT_IN[purpose];
    let id = input.id;
    if (id === undefined) {
      id = builtIn && !taken.has(builtIn.id) ? builtIn.id : newId();
      taken.add(id);
    }
    const field: ItemField = { id, type, purpose, label: input.label || builtIn?.label || '', value: '' };

    const sectionId = input.section?.id;
    if (sectionId !== undefined) {
      if (sectionIds !== 'unchecked' && !sectionIds.has(sectionId)) {
        throw invalidInput(
          `${path}.section.id: names section ${JSON.stringify(sectionId)}, which this item does not have`,
        );
      }
      field.sectionId = sectionId;
    }

    if (input.generate) {
      Object.assign(field, generateValue(input, type, path));
    } else {
      field.value = input.value ?? '';
      validateFieldValue(type, field.value, `${path}.value`);
      const old = before.get(id);
      if (old?.entropy !== undefined && old.value === field.value) field.entropy = old.entropy;
    }
    return field;
  });
}

function generateValue(input: FieldInput, type: FieldType, path: string): { value: string; entropy: number } {
  if (input.value) {
    throw invalidInput(
      `${path}: send either a value or "generate": true, not both (the value must be empty to generate)`,
    );
  }
  if (!GENERATABLE.has(type)) {
    throw invalidInput(
      `${path}.generate: only STRING and CONCEALED fields can be generated, this field is ${type}`,
    );
  }
  return generatePassword(parseRecipe(input.recipe, `${path}.recipe`));
}

/** Field ids must be unique, and USERNAME/PASSWORD/NOTES may each be the purpose of one field. */
function checkUniqueIdsAndPurposes(inputs: FieldInput[], pathOf: (index: number) => string): void {
  const idAt = new Map<string, number>();
  const purposeAt = new Map<FieldPurpose, number>();
  inputs.forEach((field, i) => {
    if (field.id !== undefined) {
      const first = idAt.get(field.id);
      if (first !== undefined) {
        throw invalidInput(
          `${pathOf(i)}.id: ${JSON.stringify(field.id)} is already used by ${pathOf(first)}`,
        );
      }
      idAt.set(field.id, i);
    }
    const purpose = field.purpose ?? '';
    if (purpose !== '') {
      const first = purposeAt.get(purpose);
      if (first !== undefined) {
        throw invalidInput(
          `${pathOf(i)}.purpose: only one field may be ${purpose}, and ${pathOf(first)} already is`,
        );
      }
      purposeAt.set(purpose, i);
    }
  });
}
