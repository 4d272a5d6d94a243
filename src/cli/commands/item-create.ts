import {
  CATEGORIES,
  CHARACTER_SETS,
  FIELD_TYPES,
  MAX_RECIPE_LENGTH,
  MIN_RECIPE_LENGTH,
} from '../../domain/items/types.js';
import { CliError } from '../errors.js';
import { SecretInput, valueOrFile } from '../secret-input.js';
import { integerFlag, type RemoteOptions } from './remote.js';

// `keyhold item create`'s flags, turned into the body the API takes.

/** A field as the API takes it on create. */
export interface FieldInput {
  id?: string;
  type: string;
  purpose?: string;
  label: string;
  value?: string;
  generate?: boolean;
  recipe?: { length?: number; characterSets?: string[] };
}

/**
 * `--field LABEL=VALUE` or `--field LABEL:TYPE=VALUE`. The split is on the first `=` (values may
 * contain `=`), the type on the last `:` before it, so a label with a colon needs an explicit type
 * (`db:host:STRING=x`). Messages never quote the value: it may be a secret. `--field-file
 * LABEL[:TYPE]=PATH` has the same shape, with a path where the value would be.
 */
export function parseField(spec: string, flag = '--field', what = 'VALUE'): FieldInput {
  const eq = spec.indexOf('=');
  if (eq < 0) throw new CliError(`${flag} must be LABEL=${what} or LABEL:TYPE=${what} (no "=" found)`);
  const left = spec.slice(0, eq);
  const value = spec.slice(eq + 1);
  const colon = left.lastIndexOf(':');
  const label = colon < 0 ? left : left.slice(0, colon);
  const type = colon < 0 ? 'STRING' : left.slice(colon + 1).toUpperCase();
  if (!(FIELD_TYPES as readonly string[]).includes(type)) {
    throw new CliError(
      `${flag} ${JSON.stringify(left)}: unknown field type ${JSON.stringify(type)}; allowed: ${FIELD_TYPES.join(', ')} (a label with ":" needs a type, e.g. a:b:STRING=…)`,
    );
  }
  if (label.trim() === '') throw new CliError(`${flag} needs a label before "=" (LABEL=${what})`);
  return { type, label, value };
}

/** `--password-recipe length=40,sets=LETTERS+DIGITS`; anything left out takes the server default. */
export function parseRecipe(spec: string): NonNullable<FieldInput['recipe']> {
  const recipe: NonNullable<FieldInput['recipe']> = {};
  for (const part of spec.split(',').filter((p) => p.trim() !== '')) {
    const [key, value = ''] = part.split('=', 2).map((s) => s.trim());
    if (key === 'length') {
      recipe.length = integerFlag('--password-recipe length', value, MIN_RECIPE_LENGTH, MAX_RECIPE_LENGTH);
    } else if (key === 'sets') {
      const sets = value.split('+').map((s) => s.trim().toUpperCase());
      const unknown = sets.find((s) => !(CHARACTER_SETS as readonly string[]).includes(s));
      if (unknown !== undefined) {
        throw new CliError(
          `--password-recipe sets: unknown set ${JSON.stringify(unknown)}; allowed: ${CHARACTER_SETS.join(', ')}, joined with +`,
        );
      }
      recipe.characterSets = sets;
    } else {
      throw new CliError(
        `--password-recipe: unknown key ${JSON.stringify(key)}; expected length=N,sets=LETTERS+DIGITS+SYMBOLS`,
      );
    }
  }
  return recipe;
}

export interface CreateOptions extends RemoteOptions {
  vault: string;
  title: string;
  category: string;
  field?: string[];
  fieldFile?: string[];
  password?: string;
  passwordFile?: string;
  notesFile?: string;
  generatePassword?: boolean;
  passwordRecipe?: string;
  username?: string;
  notes?: string;
  url?: string;
  tag?: string[];
  reveal?: boolean;
}

/**
 * The flags with every `-file` twin read: `--password-file` and `--notes-file` become
 * `--password` and `--notes`, each `--field-file LABEL[:TYPE]=PATH` a field with the file's text.
 */
export async function withSecretsRead(
  opts: CreateOptions,
): Promise<CreateOptions & { fileFields: FieldInput[] }> {
  const input = new SecretInput();
  const password = await valueOrFile(input, '--password', opts.password, opts.passwordFile);
  const notes = await valueOrFile(input, '--notes', opts.notes, opts.notesFile);
  const fileFields: FieldInput[] = [];
  for (const spec of opts.fieldFile ?? []) {
    const { value: path = '', ...field } = parseField(spec, '--field-file', 'PATH');
    fileFields.push({ ...field, value: await input.read(`--field-file ${field.label}`, path) });
  }
  return {
    ...opts,
    ...(password === undefined ? {} : { password }),
    ...(notes === undefined ? {} : { notes }),
    fileFields,
  };
}

/** The create body from the flags; the built-in fields use the ids and labels 1Password gives them. */
export function itemBody(opts: CreateOptions & { fileFields: FieldInput[] }) {
  if (opts.password !== undefined && opts.generatePassword) {
    throw new CliError('give either --password or --generate-password, not both');
  }
  if (opts.passwordRecipe !== undefined && !opts.generatePassword) {
    throw new CliError('--password-recipe only applies with --generate-password');
  }
  const category = opts.category.toUpperCase();
  if (!(CATEGORIES as readonly string[]).includes(category)) {
    throw new CliError(
      `--category ${JSON.stringify(opts.category)} is not a category; allowed: ${CATEGORIES.join(', ')}`,
    );
  }
  const password = { id: 'password', purpose: 'PASSWORD', type: 'CONCEALED', label: 'password' };
  const fields: FieldInput[] = [
    ...(opts.username === undefined
      ? []
      : [{ id: 'username', purpose: 'USERNAME', type: 'STRING', label: 'username', value: opts.username }]),
    ...(opts.password === undefined ? [] : [{ ...password, value: opts.password }]),
    ...(opts.generatePassword
      ? [
          {
            ...password,
            generate: true,
            ...(opts.passwordRecipe ? { recipe: parseRecipe(opts.passwordRecipe) } : {}),
          },
        ]
      : []),
    ...(opts.field ?? []).map((spec) => parseField(spec)),
    ...opts.fileFields,
    ...(opts.notes === undefined
      ? []
      : [{ id: 'notesPlain', purpose: 'NOTES', type: 'STRING', label: 'notesPlain', value: opts.notes }]),
  ];
  return {
    title: opts.title,
    category,
    fields,
    ...(opts.url === undefined ? {} : { urls: [{ href: opts.url, primary: true }] }),
    ...(opts.tag ? { tags: opts.tag } : {}),
  };
}
