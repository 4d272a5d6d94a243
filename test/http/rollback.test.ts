import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inProcessCentral } from '../../src/connect-server/central/in-process-client.js';
import { buildConnectApp, type ConnectApp } from '../../src/http/connect/app.js';
import { listeningUrl } from '../../src/http/listening-url.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';

/**
 * Rollback and metadata tampering: the database file is edited directly, as an attacker with
 * write access to it (but not the master key) would, and every read path must answer an
 * integrity error instead of serving what the edit made of the item.
 */
let t: TestApp;
let connect: ConnectApp;
let base: string;
let token: string;
let vault: string;
let item: string;
let file: string;
const FIRST = 'first-password-7c1d';
const SECOND = 'second-password-91ae';
const FILE_BYTES = Buffer.from('file content of some length');

beforeEach(async () => {
  t = await startTestApp();
  const setup = adminSetup(t);
  vault = (await setup.vault('v')).id;
  item = (
    await setup.item(vault, {
      title: 'db',
      category: 'LOGIN',
      fields: [{ id: 'password', purpose: 'PASSWORD', type: 'CONCEALED', value: FIRST }],
    })
  ).id;
  const edited = await setup.api.put(`/vaults/${vault}/items/${item}`, {
    title: 'db',
    category: 'LOGIN',
    fields: [{ id: 'password', purpose: 'PASSWORD', type: 'CONCEALED', value: SECOND }],
  });
  expect(edited.json().version).toBe(2);
  const uploaded = await t.app.inject({
    method: 'POST',
    url: `/api/admin/vaults/${vault}/items/${item}/files?name=notes.txt`,
    headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/octet-stream' },
    payload: FILE_BYTES,
  });
  file = uploaded.json().id;
  const server = (await setup.server([vault])).id;
  token = (await setup.token(server, [{ vaultId: vault, permissions: ['read', 'write'] }])).token;
  connect = buildConnectApp({
    central: inProcessCentral(t.services, server),
    logger: pino({ level: 'silent' }),
    limits: { json: t.config.bodyLimit, file: t.config.maxFileSize, inlineFile: t.config.maxInlineFileSize },
  });
  await connect.listen({ host: '127.0.0.1', port: 0 });
  base = listeningUrl(connect, '127.0.0.1');
});
afterEach(async () => {
  await connect.close();
  await t.close();
});

/** Runs statements on the database file through a connection of its own, as an attacker would. */
function tamper(work: (db: Database.Database) => void): void {
  const db = new Database(join(t.dir, 'keyhold.db'));
  try {
    work(db);
  } finally {
    db.close();
  }
}

const admin = (method: 'GET' | 'PUT' | 'PATCH', path: string, payload?: unknown) =>
  t.app.inject({
    method,
    url: `/api/admin${path}`,
    headers: { authorization: `Bearer ${t.token}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
const viaConnect = (path: string, init: RequestInit = {}) =>
  fetch(base + path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

/** An admin API answer that must be the integrity error for `what`, leaking neither password. */
function expectAdminIntegrity(res: { statusCode: number; body: string }, what: string) {
  expect({ status: res.statusCode, body: JSON.parse(res.body) }).toEqual({
    status: 500,
    body: { status: 500, code: 'integrity_error', message: `Integrity check failed for ${what}` },
  });
  expect(res.body).not.toContain(FIRST);
  expect(res.body).not.toContain(SECOND);
}

async function expectConnectIntegrity(res: Response, what: string) {
  const body = await res.text();
  expect({ status: res.status, body: JSON.parse(body) }).toEqual({
    status: 500,
    body: { status: 500, message: `Integrity check failed for ${what}` },
  });
  expect(body).not.toContain(FIRST);
}

const itemPaths = () => ({
  admin: `/vaults/${vault}/items/${item}`,
  connect: `/v1/vaults/${vault}/items/${item}`,
});

describe('version rollback', () => {
  it('an item pointed back at its older version, dates and editor included, is an integrity error on every read', async () => {
    tamper((db) => {
      const first = db
        .prepare('select created_at, edited_by from item_versions where item_id = ? and version = 1')
        .get(item) as { created_at: string; edited_by: string };
      db.prepare('update items set version = 1, updated_at = ?, last_edited_by = ? where id = ?').run(
        first.created_at,
        first.edited_by,
        item,
      );
    });
    const paths = itemPaths();
    const what = `item ${item}`;
    expectAdminIntegrity(await admin('GET', paths.admin), what);
    expectAdminIntegrity(await admin('GET', `/vaults/${vault}/items`), what);
    expectAdminIntegrity(await admin('GET', `${paths.admin}/versions`), what);
    expectAdminIntegrity(await admin('GET', `${paths.admin}/versions/1`), what);
    await expectConnectIntegrity(await viaConnect(paths.connect), what);
    await expectConnectIntegrity(await viaConnect(`/v1/vaults/${vault}/items`), what);
    await expectConnectIntegrity(
      await viaConnect(`/v1/vaults/${vault}/items?filter=${encodeURIComponent('title eq "db"')}`),
      what,
    );
    // A write does not build on the rolled-back state, nor vouch for it with a fresh head.
    expectAdminIntegrity(
      await admin('PUT', paths.admin, { title: 'db', category: 'LOGIN', fields: [] }),
      what,
    );
    await expectConnectIntegrity(
      await viaConnect(paths.connect, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ op: 'replace', path: '/title', value: 'x' }]),
      }),
      what,
    );
    // Still refused afterwards: nothing was written over the tampered row.
    expectAdminIntegrity(await admin('GET', paths.admin), what);
  });

  it('an older item row restored whole, head included, is refused on every read while later versions remain', async () => {
    const setup = adminSetup(t);
    const other = (await setup.item(vault, { title: 'other', fields: [{ value: FIRST }] })).id;
    let saved: Record<string, unknown> = {};
    tamper((db) => {
      saved = db.prepare('select * from items where id = ?').get(other) as Record<string, unknown>;
    });
    expect(
      (await admin('PUT', `/vaults/${vault}/items/${other}`, { title: 'other', fields: [{ value: SECOND }] }))
        .statusCode,
    ).toBe(200);
    tamper((db) => {
      db.prepare(
        'update items set version = ?, updated_at = ?, last_edited_by = ?, head = ? where id = ?',
      ).run(saved.version, saved.updated_at, saved.last_edited_by, saved.head, other);
    });
    // The restored head is genuine, but a version after the one it names is stored: every read,
    // the hot Connect read included, gives it away.
    const what = `item ${other}`;
    expectAdminIntegrity(await admin('GET', `/vaults/${vault}/items/${other}`), what);
    expectAdminIntegrity(await admin('GET', `/vaults/${vault}/items`), what);
    expectAdminIntegrity(await admin('GET', `/vaults/${vault}/items/${other}/versions`), what);
    expectAdminIntegrity(await admin('GET', `/vaults/${vault}/items/${other}/versions/1`), what);
    await expectConnectIntegrity(await viaConnect(`/v1/vaults/${vault}/items/${other}`), what);
  });

  it('a head removed or copied from another item is an integrity error, never a row without a check', async () => {
    const setup = adminSetup(t);
    const other = (await setup.item(vault, { title: 'other', fields: [] })).id;
    tamper((db) => db.prepare('update items set head = null where id = ?').run(item));
    expectAdminIntegrity(await admin('GET', itemPaths().admin), `item ${item}`);
    await expectConnectIntegrity(await viaConnect(itemPaths().connect), `item ${item}`);
    tamper((db) => {
      const { head } = db.prepare('select head from items where id = ?').get(other) as { head: Buffer };
      db.prepare('update items set head = ? where id = ?').run(head, item);
    });
    expectAdminIntegrity(await admin('GET', itemPaths().admin), `item ${item}`);
    // The other item is untouched and reads.
    expect((await admin('GET', `/vaults/${vault}/items/${other}`)).statusCode).toBe(200);
  });
});

describe('item metadata tampering', () => {
  it.each([
    ['created_at', '2020-01-01T00:00:00.000Z'],
    ['updated_at', '2099-01-01T00:00:00.000Z'],
    ['last_edited_by', 'someone-else'],
  ])('a changed %s is an integrity error on item reads and listings', async (column, value) => {
    tamper((db) => db.prepare(`update items set ${column} = ? where id = ?`).run(value, item));
    const what = `item ${item}`;
    expectAdminIntegrity(await admin('GET', itemPaths().admin), what);
    expectAdminIntegrity(await admin('GET', `/vaults/${vault}/items`), what);
    await expectConnectIntegrity(await viaConnect(itemPaths().connect), what);
    await expectConnectIntegrity(await viaConnect(`/v1/vaults/${vault}/items`), what);
  });

  it.each([
    ['created_at', '2020-01-01T00:00:00.000Z'],
    ['edited_by', 'someone-else'],
  ])("a version's changed %s is an integrity error on history and on that version", async (column, value) => {
    tamper((db) =>
      db.prepare(`update item_versions set ${column} = ? where item_id = ? and version = 1`).run(value, item),
    );
    const what = `item ${item}`;
    expectAdminIntegrity(await admin('GET', `${itemPaths().admin}/versions`), what);
    expectAdminIntegrity(await admin('GET', `${itemPaths().admin}/versions/1`), what);
    // Version 2 and the current item do not serve version 1's record.
    expect((await admin('GET', `${itemPaths().admin}/versions/2`)).json().fields[0].value).toBe(SECOND);
    expect((await viaConnect(itemPaths().connect)).status).toBe(200);
  });

  it('a deleted version is an integrity error on history', async () => {
    tamper((db) => db.prepare('delete from item_versions where item_id = ? and version = 1').run(item));
    expectAdminIntegrity(await admin('GET', `${itemPaths().admin}/versions`), `item ${item}`);
  });
});

describe('file metadata tampering', () => {
  it.each([
    ['size', 3],
    ['created_at', '2020-01-01T00:00:00.000Z'],
  ])('a changed %s is an integrity error on file metadata, content and the item', async (column, value) => {
    tamper((db) => db.prepare(`update files set ${column} = ? where id = ?`).run(value, file));
    const what = `file ${file}`;
    const filePath = `/vaults/${vault}/items/${item}/files/${file}`;
    expectAdminIntegrity(await admin('GET', filePath), what);
    expectAdminIntegrity(await admin('GET', `${filePath}/content`), what);
    expectAdminIntegrity(await admin('GET', `/vaults/${vault}/items/${item}/files`), what);
    expectAdminIntegrity(await admin('GET', itemPaths().admin), what);
    await expectConnectIntegrity(await viaConnect(`/v1${filePath}`), what);
    await expectConnectIntegrity(await viaConnect(`/v1${filePath}/content`), what);
    await expectConnectIntegrity(await viaConnect(`/v1/vaults/${vault}/items/${item}/files`), what);
    await expectConnectIntegrity(await viaConnect(itemPaths().connect), what);
  });

  it('serves the size it authenticated', async () => {
    const res = await viaConnect(`/v1/vaults/${vault}/items/${item}/files/${file}`);
    expect(((await res.json()) as { size: number }).size).toBe(FILE_BYTES.length);
  });
});

describe('under concurrency', () => {
  it('parallel writes and reads each see an item whose head matches: no 500, history 1…current', async () => {
    const writes = Array.from({ length: 12 }, (_, i) =>
      viaConnect(itemPaths().connect, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ op: 'replace', path: '/title', value: `t${i}` }]),
      }),
    );
    const reads = Array.from({ length: 12 }, () => viaConnect(itemPaths().connect));
    const [written, read] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
    // A write that lost the race to another is a 409, never a 500.
    for (const res of written) expect([200, 409]).toContain(res.status);
    for (const res of read) expect(res.status).toBe(200);
    const current = 2 + written.filter((res) => res.status === 200).length;
    expect(current).toBeGreaterThan(2);
    const history = (await admin('GET', `${itemPaths().admin}/versions`)).json() as { version: number }[];
    expect(history.map((v) => v.version)).toEqual(Array.from({ length: current }, (_, i) => current - i));
    const after = (await (await viaConnect(itemPaths().connect)).json()) as { version: number };
    expect(after.version).toBe(current);
  });
});
