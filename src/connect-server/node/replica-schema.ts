import type BetterSqlite3 from 'better-sqlite3';
import type { ItemRow } from '../../storage/ports.js';
import { AUDIT_COLUMNS } from '../../storage/sql/audit.js';
import type { FileRow } from '../../storage/sql/files.js';
import { itemRecordOf } from '../../storage/sql/items.js';
import type { Database } from '../../storage/sql/tables.js';

/**
 * The replica's tables and its prepared statements (sqlite-replica.ts uses them). Each table
 * exists twice: the replica (no prefix) and the staging copy a reset gathers into (`staged_`),
 * swapped in by its mark.
 */

/** The layout of the replica's tables; a replica of another layout is refused, never converted. */
export const REPLICA_SCHEMA_VERSION = 1;

export const TABLES = ['vaults', 'items', 'files', 'tokens', 'signing_keys', 'state', 'gone'] as const;

const tableSql = (p: string) => [
  `create table if not exists "${p}vaults" (id text primary key, sealed blob not null, content blob not null)`,
  `create table if not exists "${p}items" (
    id text primary key, vault_id text not null, account_id text not null, version integer not null,
    created_at text not null, updated_at text not null, last_edited_by text not null, head blob,
    overview blob not null, content blob not null, layout integer not null,
    seen integer not null)`,
  `create index if not exists "${p}items_by_vault" on "${p}items" (vault_id, created_at)`,
  `create table if not exists "${p}files" (
    id text primary key, item_id text not null, vault_id text not null, meta blob not null,
    size integer not null, created_at text not null, content blob not null)`,
  `create index if not exists "${p}files_by_item" on "${p}files" (item_id, created_at)`,
  `create table if not exists "${p}tokens" (id text primary key, sealed blob not null)`,
  `create table if not exists "${p}signing_keys" (kid text primary key, sealed blob not null)`,
  `create table if not exists "${p}state" (key text primary key, sealed blob not null)`,
  // `seen`: the vault's content version the item-gone came with; null (a tombstone made before the
  // column) keeps the item out for good.
  `create table if not exists "${p}gone" (item_id text primary key, vault_id text not null, seen integer)`,
];

/** Tombstones of a replica made before they kept `seen` get the column (null: gone for good). */
export const addGoneSeen = (db: BetterSqlite3.Database) => {
  for (const p of ['', 'staged_']) {
    const columns = db.prepare(`pragma table_info("${p}gone")`).all() as { name: string }[];
    if (!columns.some((c) => c.name === 'seen')) db.exec(`alter table "${p}gone" add column seen integer`);
  }
};

export const schemaSql = [
  'create table if not exists meta (key text primary key, value blob not null)',
  ...tableSql(''),
  ...tableSql('staged_'),
  `create table if not exists outbox (seq integer primary key autoincrement, ${AUDIT_COLUMNS.map((c) => `"${c}"`).join(', ')})`,
];

/** The statements that write one table set (`''` or `'staged_'`). */
export const replicaStatements = (db: BetterSqlite3.Database, p: string) => ({
  putVault: db.prepare<[string, Buffer, Buffer]>(
    `insert into "${p}vaults" (id, sealed, content) values (?, ?, ?)
     on conflict (id) do update set sealed = excluded.sealed, content = excluded.content`,
  ),
  setVaultContent: db.prepare<[Buffer, string]>(`update "${p}vaults" set content = ? where id = ?`),
  allVaults: db.prepare<[], { id: string; sealed: Buffer; content: Buffer }>(
    `select id, sealed, content from "${p}vaults"`,
  ),
  dropVault: db.prepare<[string]>(`delete from "${p}vaults" where id = ?`),
  dropVaultItems: db.prepare<[string]>(`delete from "${p}items" where vault_id = ?`),
  dropVaultFiles: db.prepare<[string]>(`delete from "${p}files" where vault_id = ?`),
  dropVaultGone: db.prepare<[string]>(`delete from "${p}gone" where vault_id = ?`),
  itemSeen: db.prepare<[string], { vault_id: string; version: number; seen: number }>(
    `select vault_id, version, seen from "${p}items" where id = ?`,
  ),
  isGone: db.prepare<[string], { item_id: string; seen: number | null }>(
    `select item_id, seen from "${p}gone" where item_id = ?`,
  ),
  dropGone: db.prepare<[string]>(`delete from "${p}gone" where item_id = ?`),
  putItem: db.prepare(
    `insert into "${p}items" (id, vault_id, account_id, version, created_at, updated_at, last_edited_by,
       head, overview, content, layout, seen)
     values (@id, @vault_id, @account_id, @version, @created_at, @updated_at, @last_edited_by,
       @head, @overview, @content, @layout, @seen)
     on conflict (id) do update set vault_id = excluded.vault_id, account_id = excluded.account_id,
       version = excluded.version, created_at = excluded.created_at, updated_at = excluded.updated_at,
       last_edited_by = excluded.last_edited_by, head = excluded.head, overview = excluded.overview,
       content = excluded.content, layout = excluded.layout, seen = excluded.seen`,
  ),
  dropItem: db.prepare<[string]>(`delete from "${p}items" where id = ?`),
  dropItemFiles: db.prepare<[string]>(`delete from "${p}files" where item_id = ?`),
  putFile: db.prepare(
    `insert into "${p}files" (id, item_id, vault_id, meta, size, created_at, content)
     values (@id, @item_id, @vault_id, @meta, @size, @created_at, @content)`,
  ),
  putGone: db.prepare<[string, string, number]>(
    `insert into "${p}gone" (item_id, vault_id, seen) values (?, ?, ?)
     on conflict (item_id) do update set seen = max(seen, excluded.seen)
       where seen is not null`,
  ),
  putToken: db.prepare<[string, Buffer]>(
    `insert into "${p}tokens" (id, sealed) values (?, ?) on conflict (id) do update set sealed = excluded.sealed`,
  ),
  putSigningKey: db.prepare<[string, Buffer]>(
    `insert into "${p}signing_keys" (kid, sealed) values (?, ?) on conflict (kid) do update set sealed = excluded.sealed`,
  ),
  putState: db.prepare<[string, Buffer]>(
    `insert into "${p}state" (key, sealed) values (?, ?) on conflict (key) do update set sealed = excluded.sealed`,
  ),
  getState: db.prepare<[string], { sealed: Buffer }>(`select sealed from "${p}state" where key = ?`),
  getSigningKey: db.prepare<[string], { sealed: Buffer }>(
    `select sealed from "${p}signing_keys" where kid = ?`,
  ),
  allTokens: db.prepare<[], { id: string; sealed: Buffer }>(`select id, sealed from "${p}tokens"`),
});

/** The statements that read the replica (never the staging tables) and its outbox. */
const itemColumns =
  'id, vault_id, account_id, version, created_at, updated_at, last_edited_by, head, overview, layout';
/** The central `items` row, with its current version's sealed parts (storage/sql/items.ts). */
export type ItemDbRow = Database['items'] & { overview: Buffer; layout: number; content?: Buffer };
export const replicaReads = (db: BetterSqlite3.Database) => ({
  item: db.prepare<[string, string], ItemDbRow>(
    `select ${itemColumns} from items where vault_id = ? and id = ?`,
  ),
  itemWithContent: db.prepare<[string, string], ItemDbRow>(
    `select ${itemColumns}, content from items where vault_id = ? and id = ?`,
  ),
  // A view of an item reads its files too: joined in, one statement instead of two.
  itemWithFiles: db.prepare<
    [string, string],
    ItemDbRow & { [K in keyof FileRow as `file_${K}`]: FileRow[K] | null }
  >(
    `select i.id, i.vault_id, i.account_id, i.version, i.created_at, i.updated_at, i.last_edited_by,
       i.head, i.overview, i.layout, i.content, f.id as file_id, f.item_id as file_item_id,
       f.vault_id as file_vault_id, f.meta as file_meta, f.size as file_size, f.created_at as file_created_at
     from items i left join files f on f.item_id = i.id
     where i.vault_id = ? and i.id = ? order by f.created_at, f.id`,
  ),
  items: db.prepare<[string], ItemDbRow>(
    `select ${itemColumns} from items where vault_id = ? order by created_at, id`,
  ),
  itemCount: db.prepare<[string], { n: number }>('select count(*) as n from items where vault_id = ?'),
  files: db.prepare<[string], FileRow>(
    'select id, item_id, vault_id, meta, size, created_at from files where item_id = ? order by created_at, id',
  ),
  file: db.prepare<[string, string], FileRow>(
    'select id, item_id, vault_id, meta, size, created_at from files where item_id = ? and id = ?',
  ),
  fileContent: db.prepare<[string, string], { content: Buffer }>(
    'select content from files where item_id = ? and id = ?',
  ),
  token: db.prepare<[string], { sealed: Buffer }>('select sealed from tokens where id = ?'),
  signingKey: db.prepare<[string], { sealed: Buffer }>('select sealed from signing_keys where kid = ?'),
  outbox: db.prepare<[number, number], Record<string, unknown> & { seq: number }>(
    'select * from outbox where seq > ? order by seq limit ?',
  ),
  outboxSize: db.prepare<[number], { n: number }>('select count(*) as n from outbox where seq > ?'),
  // Rows go only once acknowledged: whatever comes before the first one left was acknowledged.
  outboxAcknowledged: db.prepare<[], { through: number }>(
    `select coalesce((select min(seq) - 1 from outbox),
       (select seq from sqlite_sequence where name = 'outbox'), 0) as through`,
  ),
});

export const toItemRow = (r: ItemDbRow): ItemRow => ({
  ...itemRecordOf(r),
  // Versions are not kept here, only the current one: there is no later one to point back from.
  hasLaterVersion: false,
  overview: r.overview,
  layout: r.layout,
  ...(r.content ? { content: r.content } : {}),
});
