import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import type { FIELD_TYPES } from '../../domain/items/types.js';
import type { AdminClient } from '../client.js';
import { ApiError, CliError } from '../errors.js';
import { pickByNameOrId } from '../name-or-id.js';
import { emit } from '../output.js';
import { resolveVaultItem } from '../resolve.js';
import { SecretInput } from '../secret-input.js';
import { apiPath, clientFor, collect, type RemoteOptions, remote } from './remote.js';

/**
 * `keyhold item edit V ITEM [ASSIGNMENT]…`: change an item's fields, title, tags and URL in one
 * new version. An assignment follows `op item edit`: `[SECTION.]FIELD[TYPE]=VALUE`.
 */

/** A field type as typed: 1Password's names (`password`, `text`, …) and keyhold's own, any case. */
const TYPE_NAMES: Record<string, (typeof FIELD_TYPES)[number]> = {
  password: 'CONCEALED',
  concealed: 'CONCEALED',
  text: 'STRING',
  string: 'STRING',
  email: 'EMAIL',
  url: 'URL',
  date: 'DATE',
  monthyear: 'MONTH_YEAR',
  month_year: 'MONTH_YEAR',
  otp: 'OTP',
  totp: 'OTP',
  menu: 'MENU',
};
const TYPES_LISTED = 'password, text, email, url, date, monthYear, otp, menu (or concealed, string)';

/** Where an assignment's value comes from. Never printed: it may be a secret. */
export type ValueSource =
  | { kind: 'text'; text: string }
  | { kind: 'stdin' }
  | { kind: 'file'; path: string }
  | { kind: 'delete' };

export interface Assignment {
  section?: string;
  field: string;
  type?: (typeof FIELD_TYPES)[number];
  value: ValueSource;
}

/**
 * `[SECTION.]FIELD[TYPE]=VALUE`. The first unescaped `.` separates a section; `\` escapes `.`,
 * `=`, `[`, `]` and itself in names. The value is everything after the first unescaped `=`:
 * `-` deletes the field (as does op's `FIELD[delete]`), `@-` reads standard input, `@PATH` a
 * file. Messages name the field, never the value.
 */
export function parseAssignment(spec: string): Assignment {
  let section: string | undefined;
  let name = '';
  let type: string | undefined;
  let i = 0;
  let sawEquals = false;
  for (; i < spec.length; i++) {
    const c = spec[i] as string;
    if (c === '\\' && i + 1 < spec.length) {
      i++;
      if (type !== undefined) type += spec[i];
      else name += spec[i];
      continue;
    }
    if (c === '=') {
      sawEquals = true;
      i++;
      break;
    }
    if (type !== undefined) {
      if (c === ']') {
        const rest = spec.slice(i + 1);
        if (rest !== '' && !rest.startsWith('=')) {
          throw new CliError(`assignment ${JSON.stringify(name)}: nothing may follow [TYPE] but =VALUE`);
        }
        continue;
      }
      type += c;
    } else if (c === '[') {
      type = '';
    } else if (c === '.' && section === undefined) {
      section = name;
      name = '';
    } else {
      name += c;
    }
  }
  const field = name;
  const shown = section === undefined ? field : `${section}.${field}`;
  if (field.trim() === '') {
    throw new CliError(
      `assignment ${JSON.stringify(spec.slice(0, Math.max(0, i - 1)))}: no field name; expected [SECTION.]FIELD[TYPE]=VALUE`,
    );
  }
  if (section !== undefined && section.trim() === '') {
    throw new CliError(`assignment ${JSON.stringify(shown)}: empty section name before "."`);
  }
  const lowered = type?.trim().toLowerCase();
  if (lowered === 'delete') {
    if (sawEquals) throw new CliError(`assignment ${JSON.stringify(shown)}[delete] takes no value`);
    return { ...(section === undefined ? {} : { section }), field, value: { kind: 'delete' } };
  }
  if (!sawEquals) {
    throw new CliError(
      `assignment ${JSON.stringify(shown)}: no "=" found; expected [SECTION.]FIELD[TYPE]=VALUE (FIELD=- deletes the field)`,
    );
  }
  let mapped: Assignment['type'];
  if (lowered !== undefined) {
    mapped = TYPE_NAMES[lowered];
    if (mapped === undefined) {
      throw new CliError(
        `assignment ${JSON.stringify(shown)}: unknown field type ${JSON.stringify(type)}; allowed: ${TYPES_LISTED}`,
      );
    }
  }
  const raw = spec.slice(i);
  const value: ValueSource =
    raw === '-'
      ? { kind: 'delete' }
      : raw === '@-'
        ? { kind: 'stdin' }
        : raw.startsWith('@')
          ? { kind: 'file', path: raw.slice(1) }
          : { kind: 'text', text: raw };
  if (value.kind === 'delete' && mapped !== undefined) {
    throw new CliError(`assignment ${JSON.stringify(shown)}: "-" deletes the field; it takes no type`);
  }
  return {
    ...(section === undefined ? {} : { section }),
    field,
    ...(mapped === undefined ? {} : { type: mapped }),
    value,
  };
}

interface Field {
  id: string;
  type?: string;
  purpose?: string;
  label?: string;
  value?: string;
  section?: { id: string; label?: string };
  [key: string]: unknown;
}
interface Section {
  id: string;
  label?: string;
}
export interface EditableItem {
  id: string;
  title: string;
  version: number;
  tags?: string[];
  urls?: { href: string; primary?: boolean; label?: string }[];
  sections?: Section[];
  fields?: Field[];
  [key: string]: unknown;
}

export interface Edits {
  title?: string;
  url?: string;
  tags?: string[];
  addTags?: string[];
  removeTags?: string[];
  assignments: (Assignment & { text?: string })[];
}

/** A field or section id like the ones Connect clients make: 26 characters of a-z and 0-9. */
function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 26 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/**
 * The item with the edits applied (values already read into `text`). A field is found by label
 * or id (pickByNameOrId), within its section when one is named; a name that matches none adds
 * a field (type CONCEALED unless given, like 1Password: a new value is taken as a secret until
 * said otherwise), in a new section when the named section does not exist.
 */
export function applyEdits(item: EditableItem, edits: Edits): EditableItem {
  let fields = [...(item.fields ?? [])];
  const sections = [...(item.sections ?? [])];
  for (const a of edits.assignments) {
    const shown = a.section === undefined ? a.field : `${a.section}.${a.field}`;
    let section: Section | undefined;
    if (a.section !== undefined) {
      const named = sections.map((s) => ({ id: s.id, name: s.label ?? '' }));
      const hit =
        named.some((s) => s.id === a.section) ||
        named.some(
          (s) => s.name.localeCompare(a.section as string, undefined, { sensitivity: 'accent' }) === 0,
        );
      if (hit) {
        const picked = pickByNameOrId(named, a.section, 'section');
        section = sections.find((s) => s.id === picked.id);
      } else if (a.value.kind === 'delete') {
        throw new CliError(`no section named or with id '${a.section}' in item ${item.title}`);
      } else {
        section = { id: newId(), label: a.section };
        sections.push(section);
      }
    }
    const inScope = fields.filter((f) => section === undefined || f.section?.id === section.id);
    const named = inScope.map((f) => ({ id: f.id, name: f.label ?? '' }));
    const exists =
      named.some((f) => f.id === a.field) ||
      named.some((f) => f.name.localeCompare(a.field, undefined, { sensitivity: 'accent' }) === 0);
    if (!exists) {
      if (a.value.kind === 'delete')
        throw new CliError(`no field named or with id '${shown}' in item ${item.title}`);
      fields.push({
        id: newId(),
        type: a.type ?? 'CONCEALED',
        label: a.field,
        value: a.text ?? '',
        ...(section === undefined ? {} : { section: { id: section.id } }),
      });
      continue;
    }
    const picked = pickByNameOrId(named, a.field, 'field');
    if (a.value.kind === 'delete') {
      fields = fields.filter((f) => f.id !== picked.id);
      continue;
    }
    fields = fields.map((f) =>
      f.id === picked.id
        ? { ...f, value: a.text ?? '', ...(a.type === undefined ? {} : { type: a.type }) }
        : f,
    );
  }
  let tags = edits.tags ?? [...(item.tags ?? [])];
  for (const t of edits.addTags ?? []) if (!tags.includes(t)) tags = [...tags, t];
  for (const t of edits.removeTags ?? []) {
    if (!tags.includes(t)) throw new CliError(`item ${item.title} has no tag '${t}'`);
    tags = tags.filter((x) => x !== t);
  }
  let urls = item.urls ?? [];
  if (edits.url !== undefined) {
    const rest = urls.filter((u) => !u.primary).slice(urls.some((u) => u.primary) ? 0 : 1);
    urls = edits.url === '' ? rest : [{ href: edits.url, primary: true }, ...rest];
  }
  return {
    ...item,
    ...(edits.title === undefined ? {} : { title: edits.title }),
    tags,
    urls,
    sections,
    fields,
  };
}

/** What `item edit` prints: the item, concealed values hidden (renderItem in item.ts). */
type Render = (item: EditableItem) => string;

interface EditOptions extends RemoteOptions {
  title?: string;
  url?: string;
  tags?: string;
  tag?: string[];
  removeTag?: string[];
}

/** The written item as printed, human or JSON: a concealed or OTP value is left out (`item get --reveal` shows it). */
function withoutSecrets(item: EditableItem): EditableItem {
  return {
    ...item,
    fields: (item.fields ?? []).map((f) => {
      if (f.type !== 'CONCEALED' && f.type !== 'OTP' && f.purpose !== 'PASSWORD') return f;
      const { value: _value, totp: _totp, ...rest } = f;
      return rest;
    }),
  };
}

/** The message for a 409 on the write: what changed, in words, and what to do. */
async function conflictExplained(
  client: AdminClient,
  vaultId: string,
  item: EditableItem,
): Promise<CliError> {
  let now: number | undefined;
  try {
    const versions = await client.request<{ version: number }[]>(
      'GET',
      apiPath('vaults', vaultId, 'items', item.id, 'versions'),
    );
    now = versions[0]?.version;
  } catch {
    // The explanation does without the current version.
  }
  return new CliError(
    `the item changed since it was read (version ${item.version} → ${now ?? 'a newer one'}); nothing was written: run the command again`,
  );
}

export function registerItemEdit(item: Command, render: Render): void {
  remote(
    item
      .command('edit <vault> <item> [assignments...]')
      .description(
        [
          'change fields, title, tags or URL of an item, as one new version; each assignment is [SECTION.]FIELD[TYPE]=VALUE (as in `op item edit`):',
          'FIELD a field label or id (a new label adds a field, CONCEALED unless TYPE says otherwise; a new SECTION is created);',
          `TYPE one of ${TYPES_LISTED};`,
          'VALUE the text, @- to read it from standard input (at most one), @PATH from a file (one trailing newline dropped), or - to delete the field (also FIELD[delete]);',
          'a value given as text is visible in the process list: use @- or @PATH for a secret;',
          '\\ escapes . = [ ] in names. The item is read, changed and written back with its version: if it changed meanwhile, nothing is written (run again)',
        ].join(' '),
      )
      .option('--title <title>', 'the new title')
      .option('--url <url>', 'the primary website (replaces the primary one; "" removes it)')
      .option('--tags <list>', 'replace all tags with this comma-separated list ("" removes every tag)')
      .option('--tag <tag>', 'add a tag, repeatable', collect)
      .option('--remove-tag <tag>', 'remove a tag, repeatable', collect),
  ).action(async (vaultQuery: string, itemQuery: string, specs: string[], opts: EditOptions) => {
    const assignments = specs.map(parseAssignment);
    const nothing =
      assignments.length === 0 &&
      opts.title === undefined &&
      opts.url === undefined &&
      opts.tags === undefined &&
      opts.tag === undefined &&
      opts.removeTag === undefined;
    if (nothing)
      throw new CliError('nothing to change: give FIELD=VALUE assignments, --title, --url or tags');
    // Values first: a file that cannot be read stops the command before anything is read or written.
    const input = new SecretInput();
    const read: Edits['assignments'] = [];
    for (const a of assignments) {
      const shown = a.section === undefined ? a.field : `${a.section}.${a.field}`;
      if (a.value.kind === 'stdin') read.push({ ...a, text: await input.read(shown, '-') });
      else if (a.value.kind === 'file') read.push({ ...a, text: await input.read(shown, a.value.path) });
      else if (a.value.kind === 'text') read.push({ ...a, text: a.value.text });
      else read.push(a);
    }
    const client = clientFor(opts);
    const { vault, item: ref } = await resolveVaultItem(client, vaultQuery, itemQuery);
    const path = apiPath('vaults', vault.id, 'items', ref.id);
    const current = await client.request<EditableItem>('GET', path);
    const edits: Edits = {
      assignments: read,
      ...(opts.title === undefined ? {} : { title: opts.title }),
      ...(opts.url === undefined ? {} : { url: opts.url }),
      ...(opts.tags === undefined
        ? {}
        : {
            tags: opts.tags
              .split(',')
              .map((t) => t.trim())
              .filter((t) => t !== ''),
          }),
      ...(opts.tag === undefined ? {} : { addTags: opts.tag }),
      ...(opts.removeTag === undefined ? {} : { removeTags: opts.removeTag }),
    };
    const next = applyEdits(current, edits);
    let written: EditableItem;
    try {
      written = await client.request<EditableItem>('PUT', path, { ...next, version: current.version });
    } catch (error) {
      if (error instanceof ApiError && error.httpStatus === 409) {
        throw await conflictExplained(client, vault.id, current);
      }
      throw error;
    }
    emit(withoutSecrets(written), opts, render);
  });
}
