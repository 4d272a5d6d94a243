import type { Command } from 'commander';
import {
  CATEGORIES,
  CHARACTER_SETS,
  FIELD_TYPES,
  MAX_RECIPE_LENGTH,
  MIN_RECIPE_LENGTH,
} from '../../domain/items/types.js';
import { CliError } from '../errors.js';
import { pickByNameOrId } from '../name-or-id.js';
import { emit, table } from '../output.js';
import { hintNextPage } from '../paging.js';
import { resolveVault, resolveVaultItem } from '../resolve.js';
import { type CreateOptions, itemBody, withSecretsRead } from './item-create.js';
import { registerItemEdit } from './item-edit.js';
import { registerFiles } from './item-files.js';
import { registerItemDelete, registerItemHistory } from './item-history.js';
import { apiPath, clientFor, collect, integerFlag, type RemoteOptions, remote } from './remote.js';

/** The Connect item shape, as far as the human rendering needs it (`--json` prints all of it). */
interface Field {
  id: string;
  type: string;
  purpose?: string;
  label: string;
  value: string;
  entropy?: number;
  totp?: string;
  section?: { id: string };
}
/** An item field as `--field` names it: a label or id, `SECTION.FIELD` within a section. */
function pickField(item: Item, query: string): Field {
  const fields = item.fields.map((f) => ({ id: f.id, name: f.label }));
  const direct =
    fields.some((f) => f.id === query) ||
    fields.some((f) => f.name.localeCompare(query, undefined, { sensitivity: 'accent' }) === 0);
  const dot = query.indexOf('.');
  if (!direct && dot > 0) {
    const sections = (item.sections ?? []).map((s) => ({ id: s.id, name: s.label ?? '' }));
    const section = pickByNameOrId(sections, query.slice(0, dot), 'section');
    const inSection = item.fields.filter((f) => f.section?.id === section.id);
    const picked = pickByNameOrId(
      inSection.map((f) => ({ id: f.id, name: f.label })),
      query.slice(dot + 1),
      'field',
    );
    return inSection.find((f) => f.id === picked.id) as Field;
  }
  const picked = pickByNameOrId(fields, query, 'field');
  return item.fields.find((f) => f.id === picked.id) as Field;
}

/** The item's OTP field: the one there is (several: name one with --field). */
function otpField(item: Item): Field {
  const otps = item.fields.filter((f) => f.type === 'OTP');
  const [only] = otps;
  if (otps.length === 1 && only) return only;
  if (otps.length === 0) throw new CliError(`item ${item.title} has no one-time password (OTP) field`);
  throw new CliError(
    `item ${item.title} has ${otps.length} OTP fields; name one with --field:\n${otps.map((f) => `  ${f.id}  ${f.label}`).join('\n')}`,
  );
}

export interface FileView {
  id: string;
  name: string;
  size: number;
}
interface ItemSummary {
  id: string;
  title: string;
  vault: { id: string };
  category: string;
  urls?: { href: string }[];
  tags: string[];
  version: number;
  updatedAt: string;
}
interface Item extends ItemSummary {
  fields: Field[];
  sections?: { id: string; label?: string }[];
  files?: FileView[];
}

/** One page of `GET …/items/search` (docs/admin-api.md). */
interface ItemPage {
  items: ItemSummary[];
  total: number;
  matched: number;
  nextCursor?: string;
}

/** The values the server treats as secret: hidden from the human rendering unless `--reveal`. */
const isSecret = (f: Field) => f.type === 'CONCEALED' || f.type === 'OTP' || f.purpose === 'PASSWORD';
const oneLine = (text: string) => text.replace(/\r?\n/g, '\\n');

export function renderItem(item: Item, reveal: boolean): string {
  const fields = item.fields.map((f) => [
    f.label || f.id,
    f.type,
    isSecret(f) && !reveal ? '********' : oneLine(f.value),
  ]);
  return [
    `${item.title} (${item.id})`,
    `  vault:    ${item.vault.id}`,
    `  category: ${item.category}`,
    `  version:  ${item.version} (updated ${item.updatedAt})`,
    ...(item.tags.length > 0 ? [`  tags:     ${item.tags.join(', ')}`] : []),
    ...(item.urls?.length ? [`  urls:     ${item.urls.map((u) => u.href).join(', ')}`] : []),
    '',
    table(['FIELD', 'TYPE', 'VALUE'], fields),
    ...(item.files?.length
      ? [
          '',
          table(
            ['FILE ID', 'NAME', 'SIZE'],
            item.files.map((f) => [f.id, f.name, f.size]),
          ),
        ]
      : []),
  ].join('\n');
}

/** `keyhold item …`: items of a vault, their history and their files. */
export function registerItem(program: Command): void {
  const item = program
    .command('item')
    .description('manage the items of a vault (a vault by name or id, an item by title or id)');

  remote(
    item
      .command('create')
      .description('create an item and print it')
      .requiredOption('--vault <vault>', 'vault to create the item in (name or id)')
      .requiredOption('--title <title>', 'item title')
      .option(
        '--category <category>',
        `one of ${CATEGORIES.filter((c) => c !== 'CUSTOM' && c !== 'DOCUMENT').join(', ')}`,
        'LOGIN',
      )
      .option(
        '--field <spec>',
        `add a field, repeatable: LABEL=VALUE (a STRING field) or LABEL:TYPE=VALUE with TYPE one of ${FIELD_TYPES.join(', ')}; split on the first "="; the value is visible in the process list, prefer --field-file for a secret`,
        collect,
      )
      .option(
        '--field-file <spec>',
        'add a field whose value is read from a file, repeatable: LABEL=PATH or LABEL:TYPE=PATH; PATH - is standard input (one trailing newline is dropped); added after the --field fields',
        collect,
      )
      .option(
        '--password <value>',
        'the password field (CONCEALED); visible in the process list, prefer --password-file or --generate-password',
      )
      .option(
        '--password-file <path>',
        'read the password field from this file, or from standard input when PATH is - (one trailing newline is dropped)',
      )
      .option(
        '--generate-password',
        'let the server generate the password field (default: 32 characters, letters, digits, symbols)',
      )
      .option(
        '--password-recipe <recipe>',
        `with --generate-password: length=N (${MIN_RECIPE_LENGTH}-${MAX_RECIPE_LENGTH}) and/or sets=${CHARACTER_SETS.join('+')} (any of them, joined with +), comma-separated, e.g. length=40,sets=LETTERS+DIGITS`,
      )
      .option('--username <username>', 'the username field')
      .option('--notes <text>', 'the notes field')
      .option(
        '--notes-file <path>',
        'read the notes field from this file, or from standard input when PATH is -',
      )
      .option('--url <url>', 'the primary website of the item')
      .option('--tag <tag>', 'add a tag, repeatable', collect)
      .option('--reveal', 'show concealed values in the human output'),
  ).action(async (opts: CreateOptions) => {
    const body = itemBody(await withSecretsRead(opts));
    const client = clientFor(opts);
    const vault = await resolveVault(client, opts.vault);
    const created = await client.request<Item>('POST', apiPath('vaults', vault.id, 'items'), body);
    emit(created, opts, (i) => renderItem(i, opts.reveal === true));
  });

  remote(
    item
      .command('get <vault> <item>')
      .description(
        'show an item with its fields (vault by name or id, item by title or id); concealed values show as ******** unless --reveal',
      )
      .option('--reveal', 'show concealed values in the human output')
      .option(
        '--field <field>',
        "print only this field's value, raw (concealed or not: you asked for it), for scripts: a label or id, SECTION.FIELD within a section",
      )
      .option(
        '--otp',
        "print the current one-time code of the item's OTP field (with --field, of that field)",
      ),
  ).action(
    async (
      vaultQuery: string,
      itemQuery: string,
      opts: RemoteOptions & { reveal?: boolean; field?: string; otp?: boolean },
    ) => {
      const client = clientFor(opts);
      const { vault, item: ref } = await resolveVaultItem(client, vaultQuery, itemQuery);
      const found = await client.request<Item>('GET', apiPath('vaults', vault.id, 'items', ref.id));
      if (opts.field === undefined && !opts.otp) {
        emit(found, opts, (i) => renderItem(i, opts.reveal === true));
        return;
      }
      const field = opts.field === undefined ? otpField(found) : pickField(found, opts.field);
      if (opts.otp) {
        if (field.totp === undefined) {
          throw new CliError(
            `field ${field.label || field.id} of item ${found.title} is not a one-time password (OTP) field`,
          );
        }
        emit({ id: field.id, label: field.label, totp: field.totp }, opts, (f) => f.totp);
        return;
      }
      emit(field, opts, (f) => f.value);
    },
  );

  remote(
    item
      .command('list <vault>')
      .description(
        'list the items of a vault (by name or id; titles only, no field values): all of them, or with --limit, --cursor or --search one page in title order, the command for the next page on standard error',
      )
      .option('--search <words>', 'only items whose title, a tag or a URL holds each word (case-insensitive)')
      .option('--limit <n>', 'at most this many items, 1-200 (one page)')
      .option(
        '--cursor <cursor>',
        "the page after the one that gave this cursor (the hint's, or --json's nextCursor)",
      ),
  ).action(
    async (
      vaultQuery: string,
      opts: RemoteOptions & { search?: string; limit?: string; cursor?: string },
    ) => {
      const client = clientFor(opts);
      const vault = (await resolveVault(client, vaultQuery)).id;
      const render = (list: ItemSummary[]) =>
        table(
          ['ID', 'TITLE', 'CATEGORY', 'VERSION', 'UPDATED'],
          list.map((i) => [i.id, i.title, i.category, i.version, i.updatedAt]),
        );
      if (opts.search === undefined && opts.limit === undefined && opts.cursor === undefined) {
        const items = await client.request<ItemSummary[]>('GET', apiPath('vaults', vault, 'items'));
        emit(items, opts, render);
        return;
      }
      const page = await client.request<ItemPage>(
        'GET',
        apiPath('vaults', vault, 'items', 'search'),
        undefined,
        {
          q: opts.search,
          limit: opts.limit === undefined ? undefined : String(integerFlag('--limit', opts.limit, 1, 200)),
          cursor: opts.cursor,
        },
      );
      emit(page, opts, (p) => render(p.items));
      if (!opts.json && page.nextCursor !== undefined) hintNextPage('--cursor', page.nextCursor);
    },
  );

  registerItemEdit(item, (i) => renderItem(i as unknown as Item, false));
  registerItemDelete(item);
  registerItemHistory(item);
  registerFiles(item);
}
