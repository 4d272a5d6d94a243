import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConnectCall } from '../../../src/connect-server/central/central-client.js';
import { inProcessCentral } from '../../../src/connect-server/central/in-process-client.js';
import { nodeReads } from '../../../src/connect-server/node/node-reads.js';
import { openReplica, type SqliteReplica } from '../../../src/connect-server/node/sqlite-replica.js';
import type { ReplicaRecord } from '../../../src/connect-server/wire/replica-protocol.js';
import { newReplicaKey, newServerKeyPair } from '../../../src/crypto/server-key.js';
import type { ConnectCredentials } from '../../../src/domain/connect/server-service.js';
import type { AuditEventInput } from '../../../src/storage/ports.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { adminSetup } from '../../helpers/connect-app.js';
import { replicaRecords } from '../../helpers/replica-records.js';
import { totpCode } from '../../helpers/totp.js';

const SECRET = 'plaintext-secret-value-7d1f0c';
const TITLE = 'Title-Of-The-Database-Item-93ab';
const VAULT_NAME = 'Vault-Name-Alpha-55e2';
const FILE_BYTES = Buffer.from('file-content-secret-bytes-0a9b1c');
const EPOCH = 'epoch-aaaaaaaaaaaaaaaa';

let t: TestApp;
let credentials: ConnectCredentials;
let serverId: string;
let vaultA: string;
let vaultB: string;
let vaultOther: string;
let itemA1: string;
let itemA2: string;
let itemB1: string;
let fileId: string;
let readToken: { id: string; token: string };
let records: ReturnType<typeof replicaRecords>;
const dirs: string[] = [];
const opened: SqliteReplica[] = [];

let requestSeq = 0;
const call = (token: string): ConnectCall => ({
  token,
  requestId: `req-${++requestSeq}`,
  ip: '192.0.2.7',
  userAgent: 'replica-test',
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-replica-'));
  dirs.push(dir);
  return dir;
};

async function replicaWith(recordsToApply: ReplicaRecord[], dir = tempDir(), creds = credentials) {
  const replica = await openReplica({ dataDir: dir, credentials: creds });
  opened.push(replica);
  for (const r of recordsToApply) await replica.receive(r);
  return { replica, dir };
}

const fullState = (seq = 1) => records.fullState(EPOCH, seq, [readToken.id]);

beforeAll(async () => {
  t = await startTestApp();
  const setup = adminSetup(t);
  vaultA = (await setup.vault(VAULT_NAME)).id;
  vaultB = (await setup.vault('beta')).id;
  vaultOther = (await setup.vault('not on the server')).id;
  const login = (title: string, secret: string) => ({
    title,
    category: 'LOGIN',
    tags: ['prod'],
    urls: [{ href: 'https://db.example', primary: true }],
    fields: [
      { purpose: 'USERNAME', value: 'admin' },
      { purpose: 'PASSWORD', type: 'CONCEALED', value: secret },
    ],
  });
  itemA1 = (await setup.item(vaultA, login(TITLE, SECRET))).id;
  itemA2 = (await setup.item(vaultA, login('second', 'second-secret'))).id;
  itemB1 = (await setup.item(vaultB, login('in beta', 'beta-secret'))).id;
  await setup.item(vaultOther, login('unreachable', 'unreachable-secret'));
  const created = (await setup.api.post('/servers', { name: 'node', vaults: [vaultA, vaultB] })).json() as {
    id: string;
    credentials: ConnectCredentials;
  };
  serverId = created.id;
  credentials = created.credentials;
  const writer = await setup.token(serverId, [{ vaultId: vaultA, permissions: ['read', 'write'] }]);
  readToken = await setup.token(serverId, [
    { vaultId: vaultA, permissions: ['read'] },
    { vaultId: vaultB, permissions: ['read'] },
  ]);
  const central = inProcessCentral(t.services, serverId);
  fileId = (
    await central.addFile(call(writer.token), vaultA, itemA1, { name: 'key.pem', content: FILE_BYTES })
  ).id;
  records = replicaRecords(t.storage, t.keyring, serverId);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await t.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The central trail's events of these request ids, oldest first, as appended. */
async function centralEvents(requestIds: string[]): Promise<AuditEventInput[]> {
  const events = await t.storage.audit.list(t.accountId, { limit: 500 });
  return events
    .filter((e) => e.requestId !== null && requestIds.includes(e.requestId))
    .reverse()
    .map(({ seq: _seq, count, ...e }) => ({ ...e, ...(count === 1 ? {} : { count }) }));
}

const flip = (bytes: Buffer, at: number) => bytes.writeUInt8(bytes.readUInt8(at) ^ 1, at);

const withoutTime = (events: AuditEventInput[]) => events.map(({ occurredAt: _o, ...e }) => e);

describe('reads from the replica', () => {
  it('answers every read call as the central service does, and audits the same events into the outbox', async () => {
    const { replica } = await replicaWith(await fullState());
    expect(replica.position()).toEqual({ epoch: EPOCH, seq: 1 });
    const node = nodeReads(replica, replica.outbox);
    const central = inProcessCentral(t.services, serverId);
    const nodeIds: string[] = [];
    const centralIds: string[] = [];
    const both = async <T>(run: (c: typeof node | typeof central, at: ConnectCall) => Promise<T>) => {
      const atNode = call(readToken.token);
      const atCentral = { ...call(readToken.token), requestId: atNode.requestId.replace('req', 'cen') };
      nodeIds.push(atNode.requestId);
      centralIds.push(atCentral.requestId);
      const [fromNode, fromCentral] = [await run(node, atNode), await run(central, atCentral)];
      expect(fromNode).toEqual(fromCentral);
      return fromNode;
    };

    const vaults = await both((c, at) => c.listVaults(at));
    expect(vaults.map((v) => v.id).sort()).toEqual([vaultA, vaultB].sort());
    expect(vaults.find((v) => v.id === vaultA)).toMatchObject({ name: VAULT_NAME, items: 2 });
    await both((c, at) => c.getVault(at, vaultA));
    const items = await both((c, at) => c.listItems(at, vaultA));
    // In title order, ignoring case, on both: "second" before "Title-Of-…".
    expect(items.map((i) => i.title)).toEqual(['second', expect.stringMatching(/^Title-Of-/)]);
    expect(items.map((i) => i.id)).toEqual([itemA2, itemA1]);
    const json = await both((c, at) => c.getItem(at, vaultA, itemA1));
    expect(json.toString('utf8')).toContain(SECRET);
    await both((c, at) => c.getItem(at, vaultB, itemB1));
    await both((c, at) => c.listFiles(at, vaultA, itemA1));
    await both((c, at) => c.getFile(at, vaultA, itemA1, fileId));
    const content = await both((c, at) => c.fileContent(at, vaultA, itemA1, fileId));
    expect(content.content).toEqual(FILE_BYTES);
    // An item that is not there: refused alike.
    const missing = 'z'.repeat(26);
    const refusedAtNode = await node.getItem(call(readToken.token), vaultA, missing).catch((e) => e);
    const refusedCentrally = await central.getItem(call(readToken.token), vaultA, missing).catch((e) => e);
    expect({ status: refusedAtNode.status, code: refusedAtNode.code }).toEqual({
      status: refusedCentrally.status,
      code: refusedCentrally.code,
    });
    // A vault the server may not reach is one the node never heard of: 404 (centrally, 403).
    const unreachable = await node.getItem(call(readToken.token), vaultOther, itemA1).catch((e) => e);
    expect({ status: unreachable.status, code: unreachable.code }).toEqual({
      status: 404,
      code: 'not_found',
    });

    const outboxEvents = replica.outbox.pending(100).map((p) => p.event);
    const fromNode = outboxEvents.filter((e) => e.requestId !== null && nodeIds.includes(e.requestId));
    const fromCentral = await centralEvents(centralIds);
    // Audited as centrally: the item list, both secret reads and the file content (vault views
    // and file metadata are not).
    expect(fromNode.map((e) => `${e.resourceType} ${e.action} ${e.result}`)).toEqual([
      'VAULT READ SUCCESS',
      'ITEM READ SUCCESS',
      'ITEM READ SUCCESS',
      'FILE READ SUCCESS',
    ]);
    expect(withoutTime(fromNode)).toEqual(
      withoutTime(fromCentral).map((e) => ({
        ...e,
        requestId: (e.requestId as string).replace('cen', 'req'),
      })),
    );
    const seqs = replica.outbox.pending(100).map((p) => p.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await node.close();
  });

  it('a tampered item row is an integrity error, never wrong data', async () => {
    const { replica } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    const db = new BetterSqlite3(replica.file);
    db.prepare('update items set last_edited_by = ? where id = ?').run('someone-else', itemA1);
    const edited = await node.getItem(call(readToken.token), vaultA, itemA1).catch((e) => e);
    expect({ status: edited.status, code: edited.code }).toEqual({ status: 500, code: 'integrity_error' });
    const content = db.prepare('select content from items where id = ?').get(itemA2) as { content: Buffer };
    flip(content.content, content.content.length - 1);
    db.prepare('update items set content = ? where id = ?').run(content.content, itemA2);
    const flipped = await node.getItem(call(readToken.token), vaultA, itemA2).catch((e) => e);
    expect({ status: flipped.status, code: flipped.code }).toEqual({ status: 500, code: 'integrity_error' });
    db.close();
    await node.close();
  });

  it('answers an unchanged item again as made, a changed item anew, an OTP item with the code of the moment', async () => {
    const setup = adminSetup(t);
    const plain = await setup.item(vaultB, { title: 'kept answer', category: 'LOGIN', fields: [] });
    const otp = await setup.item(vaultB, {
      title: 'with otp',
      category: 'LOGIN',
      fields: [{ type: 'OTP', label: 'otp', value: 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP' }],
    });
    const { replica } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    const get = (itemId: string) => node.getItem(call(readToken.token), vaultB, itemId);
    const before = replica.outbox.size();
    const first = await get(plain.id);
    // The same answer, made once, and each read audited all the same.
    expect(await get(plain.id)).toBe(first);
    expect(replica.outbox.size()).toBe(before + 2);
    // A heartbeat mark changes nothing: the answer stays, the mark's time moves.
    const markedAt = replica.lastMarkAt();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await replica.receive({ type: 'mark', epoch: EPOCH, seq: 1 });
    expect(replica.position()).toEqual({ epoch: EPOCH, seq: 1 });
    expect(replica.lastMarkAt()).toBeGreaterThan(markedAt as number);
    expect(await get(plain.id)).toBe(first);
    // A change to the item reaches the next read.
    const put = await setup.api.put(`/vaults/${vaultB}/items/${plain.id}`, {
      title: 'new answer',
      category: 'LOGIN',
      fields: [],
    });
    expect(put.statusCode).toBe(200);
    await replica.receive(await records.itemRecord(vaultB, plain.id));
    const changed = await get(plain.id);
    expect(JSON.parse(changed.toString())).toMatchObject({ title: 'new answer', version: 2 });
    expect(JSON.parse(first.toString())).toMatchObject({ title: 'kept answer', version: 1 });
    // An OTP field's code is the code of each read's moment, never one kept from an earlier read.
    const codes: string[] = [];
    for (const at of [Date.UTC(2026, 0, 1, 0, 0, 5), Date.UTC(2026, 0, 1, 0, 1, 5)]) {
      vi.useFakeTimers({ toFake: ['Date'], now: at });
      try {
        codes.push(JSON.parse((await get(otp.id)).toString()).fields[0].totp);
      } finally {
        vi.useRealTimers();
      }
    }
    expect(codes).toEqual([
      totpCode('JBSWY3DPEHPK3PXP', Date.UTC(2026, 0, 1, 0, 0, 5)),
      totpCode('JBSWY3DPEHPK3PXP', Date.UTC(2026, 0, 1, 0, 1, 5)),
    ]);
    expect(codes[0]).not.toBe(codes[1]);
    await node.close();
  });

  it('a tampered or moved sealed token row is refused, never read', async () => {
    const dir = tempDir();
    const { replica } = await replicaWith(await fullState(), dir);
    const node = nodeReads(replica, replica.outbox);
    expect((await node.listItems(call(readToken.token), vaultA)).length).toBe(2);
    await node.close();
    await replica.close();
    opened.splice(opened.indexOf(replica), 1);
    // Altered at rest, found when the row is next read from disk (after a restart).
    const db = new BetterSqlite3(join(dir, 'replica.sqlite'));
    const row = db.prepare('select sealed from tokens where id = ?').get(readToken.id) as { sealed: Buffer };
    flip(row.sealed, 20);
    db.prepare('update tokens set sealed = ? where id = ?').run(row.sealed, readToken.id);
    db.close();
    const { replica: again } = await replicaWith([], dir);
    const reopened = nodeReads(again, again.outbox);
    const refused = await reopened.getItem(call(readToken.token), vaultA, itemA1).catch((e) => e);
    expect({ status: refused.status, code: refused.code }).toEqual({ status: 500, code: 'integrity_error' });
    await reopened.close();
    await again.close();
    opened.splice(opened.indexOf(again), 1);
    // A sealed row moved under another token's id does not open there either.
    flip(row.sealed, 20);
    const moved = new BetterSqlite3(join(dir, 'replica.sqlite'));
    moved.prepare('insert into tokens (id, sealed) values (?, ?)').run('m'.repeat(26), row.sealed);
    moved.close();
    const { replica: third } = await replicaWith([], dir);
    await expect(third.stores.connectTokens.get('m'.repeat(26))).rejects.toMatchObject({
      code: 'integrity_error',
    });
  });

  it('a token revoked by a token record is refused at the very next read, and the refusal audited', async () => {
    const { replica } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    await node.getItem(call(readToken.token), vaultA, itemA1);
    const revoked = await records.tokenRecord(readToken.id);
    if (revoked.type !== 'token') throw new Error('not a token record');
    revoked.token.revokedAt = new Date().toISOString();
    await replica.receive(revoked);
    const at = call(readToken.token);
    const refused = await node.getItem(at, vaultA, itemA1).catch((e) => e);
    expect({ status: refused.status, message: refused.message }).toEqual({
      status: 401,
      message: 'Invalid token: the token has been revoked',
    });
    const deny = replica.outbox.pending(100).find((p) => p.event.requestId === at.requestId)?.event;
    expect(deny).toMatchObject({
      result: 'DENY',
      action: 'READ',
      resourceType: 'ITEM',
      tokenId: readToken.id,
    });
    await node.close();
  });
});

describe('applying records', () => {
  it('a reset replaces the state at its mark in one step; reads see the old state until then', async () => {
    const { replica } = await replicaWith(await fullState(1));
    const node = nodeReads(replica, replica.outbox);
    const before = (await node.listVaults(call(readToken.token))).map((v) => v.id).sort();
    // The new state: the server reaches vault A only.
    const next = await records.fullState('epoch-bbbbbbbbbbbbbbbb', 7, [readToken.id]);
    const server = await records.serverRecord([vaultA]);
    const gathered = next
      .filter((r) => r.type !== 'server' && !(r.type === 'vault' && r.vault.id === vaultB))
      .filter((r) => !(r.type === 'item' && r.item.vaultId === vaultB));
    gathered.splice(1, 0, server);
    for (const r of gathered.slice(0, -1)) await replica.receive(r);
    // Everything but the mark is in: the old state still answers.
    expect((await node.listVaults(call(readToken.token))).map((v) => v.id).sort()).toEqual(before);
    expect(replica.position()).toEqual({ epoch: EPOCH, seq: 1 });
    await replica.receive(gathered.at(-1) as ReplicaRecord);
    expect((await node.listVaults(call(readToken.token))).map((v) => v.id)).toEqual([vaultA]);
    expect(replica.position()).toEqual({ epoch: 'epoch-bbbbbbbbbbbbbbbb', seq: 7 });
    const gone = await node.getItem(call(readToken.token), vaultB, itemB1).catch((e) => e);
    expect(gone.status).toBe(404);
    await node.close();
  });

  it('abandon forgets a reset without its mark; a reset cut short by a stop is forgotten at open', async () => {
    const dir = tempDir();
    const { replica } = await replicaWith(await fullState(1), dir);
    const partial = (await records.fullState('epoch-cccccccccccccccc', 9, [])).slice(0, 3);
    for (const r of partial) await replica.receive(r);
    replica.abandon();
    await replica.receive({ type: 'mark', epoch: EPOCH, seq: 2 });
    expect(replica.position()).toEqual({ epoch: EPOCH, seq: 2 });
    // A mark of another epoch without its reset is refused: the position stays.
    await expect(replica.receive({ type: 'mark', epoch: 'epoch-dddddddddddddddd', seq: 3 })).rejects.toThrow(
      /without a reset/,
    );
    expect(replica.position()).toEqual({ epoch: EPOCH, seq: 2 });
    for (const r of partial) await replica.receive(r);
    await replica.close();
    opened.splice(opened.indexOf(replica), 1);
    const { replica: again } = await replicaWith([], dir);
    expect(again.position()).toEqual({ epoch: EPOCH, seq: 2 });
    const node = nodeReads(again, again.outbox);
    expect((await node.listItems(call(readToken.token), vaultA)).length).toBe(2);
    await node.close();
  });

  it('a stale item record never rolls an item back; a tombstone keeps a deleted item deleted', async () => {
    const central = inProcessCentral(t.services, serverId);
    const setup = adminSetup(t);
    const item = await setup.item(vaultB, { title: 'moving', category: 'LOGIN', fields: [] });
    const v1 = await records.staleItemRecord(vaultB, item.id, 1);
    const replaced = await setup.api.put(`/vaults/${vaultB}/items/${item.id}`, {
      title: 'moved',
      category: 'LOGIN',
      fields: [],
    });
    expect(replaced.statusCode).toBe(200);
    const { replica } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    const read = async () =>
      JSON.parse((await node.getItem(call(readToken.token), vaultB, item.id)).toString());
    expect(await read()).toMatchObject({ title: 'moved', version: 2 });
    await replica.receive(v1);
    expect(await read()).toMatchObject({ title: 'moved', version: 2 });
    expect(
      await central.getItem(call(readToken.token), vaultB, item.id).then((b) => JSON.parse(b.toString())),
    ).toMatchObject({ version: 2 });
    // Deleted: the item-gone leaves a tombstone; the late record of it does not bring it back.
    const late = await records.itemRecord(vaultB, item.id);
    await replica.receive(await records.itemGone(vaultB, item.id));
    await replica.receive(late);
    const gone = await node.getItem(call(readToken.token), vaultB, item.id).catch((e) => e);
    expect(gone.status).toBe(404);
    expect((await node.listItems(call(readToken.token), vaultB)).map((i) => i.id)).not.toContain(item.id);
    await node.close();
  });

  it('an item undeleted from the trash comes back; a late record from before its deletion does not', async () => {
    const setup = adminSetup(t);
    const item = await setup.item(vaultB, { title: 'trashed', category: 'LOGIN', fields: [] });
    const { replica } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    const status = () =>
      node.getItem(call(readToken.token), vaultB, item.id).then(
        () => 200,
        (e: { status: number }) => e.status,
      );
    expect(await status()).toBe(200);
    const late = await records.itemRecord(vaultB, item.id);
    expect((await setup.api.delete(`/vaults/${vaultB}/items/${item.id}`)).statusCode).toBe(204);
    await replica.receive(await records.itemGone(vaultB, item.id));
    expect(await status()).toBe(404);
    await replica.receive(late);
    expect(await status()).toBe(404);
    expect((await setup.api.post(`/vaults/${vaultB}/trash/${item.id}/undelete`)).statusCode).toBe(200);
    await replica.receive(await records.itemRecord(vaultB, item.id));
    expect(await status()).toBe(200);
    // Deleted again, and the record from before the undelete, late: out again, and stays out.
    const beforeSecond = await records.itemRecord(vaultB, item.id);
    expect((await setup.api.delete(`/vaults/${vaultB}/items/${item.id}`)).statusCode).toBe(204);
    await replica.receive(await records.itemGone(vaultB, item.id));
    await replica.receive(beforeSecond);
    expect(await status()).toBe(404);
    await node.close();
  });

  it("an item's files move without its version: the later-sent record of a version wins", async () => {
    const { replica } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    const before = await records.itemRecord(vaultA, itemA2);
    const writer = await adminSetup(t).token(serverId, [{ vaultId: vaultA, permissions: ['read', 'write'] }]);
    const central = inProcessCentral(t.services, serverId);
    const added = await central.addFile(call(writer.token), vaultA, itemA2, {
      name: 'added.txt',
      content: Buffer.from('added'),
    });
    await replica.receive(await records.tokenRecord(writer.id));
    await replica.receive(await records.itemRecord(vaultA, itemA2));
    const files = async () => (await node.listFiles(call(readToken.token), vaultA, itemA2)).map((f) => f.id);
    expect(await files()).toEqual([added.id]);
    // The record sent before the upload, late: same version, older vault content. Ignored.
    await replica.receive(before);
    expect(await files()).toEqual([added.id]);
    expect(await node.listFiles(call(readToken.token), vaultA, itemA2)).toEqual(
      await central.listFiles(call(readToken.token), vaultA, itemA2),
    );
    expect(await node.getVault(call(readToken.token), vaultA)).toEqual(
      await central.getVault(call(readToken.token), vaultA),
    );
    await node.close();
  });

  it('vault-gone purges the vault, and so does a server record without it', async () => {
    const { replica } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    await replica.receive({ type: 'vault-gone', vaultId: vaultB });
    expect(await node.getVault(call(readToken.token), vaultB).catch((e) => e.status)).toBe(404);
    const db = new BetterSqlite3(replica.file, { readonly: true });
    const count = (sql: string, id: string) => (db.prepare(sql).get(id) as { n: number }).n;
    expect(count('select count(*) as n from items where vault_id = ?', vaultB)).toBe(0);
    expect(count('select count(*) as n from vaults where id = ?', vaultB)).toBe(0);
    await replica.receive(await records.serverRecord([vaultB]));
    expect(count('select count(*) as n from items where vault_id = ?', vaultA)).toBe(0);
    expect(count('select count(*) as n from files where vault_id = ?', vaultA)).toBe(0);
    expect(await node.listVaults(call(readToken.token))).toEqual([]);
    db.close();
    await node.close();
  });

  it('refuses a record it cannot apply: an item under a vault not held, a vault key wrapped to another server', async () => {
    const { replica } = await replicaWith([]);
    await expect(replica.receive(await records.itemRecord(vaultA, itemA1))).rejects.toMatchObject({
      code: 'integrity_error',
    });
    const other = await newServerKeyPair();
    await expect(replica.receive(await records.vaultRecord(vaultA, other.publicJwk))).rejects.toMatchObject({
      code: 'integrity_error',
    });
  });
});

describe('the replica file', () => {
  it('is refused at open for another server, another account or another replica key', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    await replica.close();
    opened.splice(opened.indexOf(replica), 1);
    const otherKey = { ...credentials, replicaKey: newReplicaKey().toString('base64url') };
    await expect(openReplica({ dataDir: dir, credentials: otherKey })).rejects.toMatchObject({
      code: 'replica_foreign',
      message: expect.stringContaining('another replica key'),
    });
    const otherServer = { ...credentials, serverId: 'a'.repeat(26) };
    await expect(openReplica({ dataDir: dir, credentials: otherServer })).rejects.toMatchObject({
      code: 'replica_foreign',
      message: expect.stringContaining(`made for Connect server ${serverId}`),
    });
    const otherAccount = { ...credentials, accountId: 'b'.repeat(26) };
    await expect(openReplica({ dataDir: dir, credentials: otherAccount })).rejects.toMatchObject({
      code: 'replica_foreign',
    });
    // Left as it was: the right credentials still open it, whole.
    const { replica: again } = await replicaWith([], dir);
    expect(again.position()).toEqual({ epoch: EPOCH, seq: 1 });
  });

  it('holds no plaintext secret, title, vault name or file content, WAL included, after reads', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    for (let i = 0; i < 5; i += 1) {
      await node.getItem(call(readToken.token), vaultA, itemA1);
      await node.listItems(call(readToken.token), vaultA);
      await node.listVaults(call(readToken.token));
      await node.fileContent(call(readToken.token), vaultA, itemA1, fileId);
    }
    const signatureHash = (await t.storage.connectTokens.get(readToken.id))?.signatureHash as Buffer;
    const files = readdirSync(dir);
    expect(files).toEqual(expect.arrayContaining(['replica.sqlite', 'replica.sqlite-wal']));
    for (const name of files) {
      const bytes = readFileSync(join(dir, name));
      for (const needle of [
        SECRET,
        TITLE,
        VAULT_NAME,
        'second-secret',
        'beta-secret',
        FILE_BYTES.toString(),
        'key.pem',
      ]) {
        expect(bytes.includes(Buffer.from(needle)), `${needle} in ${name}`).toBe(false);
      }
      // A token's registration is sealed: its signature hash appears in no form.
      expect(bytes.includes(signatureHash), `signature hash in ${name}`).toBe(false);
      expect(bytes.includes(Buffer.from(signatureHash.toString('base64'))), `signature hash in ${name}`).toBe(
        false,
      );
    }
    await node.close();
  });

  it('wipe deletes everything, outbox included', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    await node.getItem(call(readToken.token), vaultA, itemA1);
    expect(replica.outbox.size()).toBe(1);
    await replica.receive({ type: 'server-gone' });
    await replica.close();
    expect(readdirSync(dir)).toEqual([]);
    await expect(node.getItem(call(readToken.token), vaultA, itemA1)).rejects.toThrow();
    await node.close();
  });
});

describe('the outbox', () => {
  it('keeps events in order until acknowledged, with one id per data directory', async () => {
    const dir = tempDir();
    const { replica } = await replicaWith(await fullState(), dir);
    const node = nodeReads(replica, replica.outbox);
    await Promise.all(Array.from({ length: 50 }, () => node.getItem(call(readToken.token), vaultA, itemA1)));
    expect(replica.outbox.size()).toBe(50);
    const pending = replica.outbox.pending(20);
    expect(pending.length).toBe(20);
    replica.outbox.acknowledge(pending[9]?.seq as number);
    expect(replica.outbox.size()).toBe(40);
    expect(replica.outbox.pending(1)[0]?.seq).toBe(pending[10]?.seq);
    const id = replica.outbox.id;
    expect(id).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    await node.close();
    await replica.close();
    opened.splice(opened.indexOf(replica), 1);
    const { replica: again } = await replicaWith([], dir);
    expect(again.outbox.id).toBe(id);
    expect(again.outbox.size()).toBe(40);
    // Acknowledged with nothing appended since: the rows go all the same (by the writer thread).
    again.outbox.acknowledge(again.outbox.pending(1_000).at(-1)?.seq as number);
    expect(again.outbox.size()).toBe(0);
    await again.close();
    opened.splice(opened.indexOf(again), 1);
    const { replica: third } = await replicaWith([], dir);
    expect(third.outbox.size()).toBe(0);
    // Events of this run come back from memory, read from the file after a restart: the same.
    const reads = nodeReads(third, third.outbox);
    await reads.getItem(call(readToken.token), vaultA, itemA1);
    await reads.listItems(call(readToken.token), vaultA);
    await reads.getItem(call('not a token'), vaultA, itemA1).catch(() => undefined);
    const fresh = third.outbox.pending(1_000);
    expect(fresh.map((p) => p.event.result)).toEqual(['SUCCESS', 'SUCCESS', 'DENY']);
    const first = fresh[0]?.seq as number;
    expect(fresh.map((p) => p.seq)).toEqual([first, first + 1, first + 2]);
    await reads.close();
    await third.close();
    opened.splice(opened.indexOf(third), 1);
    const { replica: fourth } = await replicaWith([], dir);
    expect(fourth.outbox.pending(1_000)).toEqual(fresh);
  });
});

describe('signing keys', () => {
  it('a token signed by a key the replica does not hold yet is refused and audited; its key record lets it in', async () => {
    const { replica } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    const setup = adminSetup(t);
    expect((await setup.api.post('/keys/rotate', { kind: 'connect' })).statusCode).toBe(201);
    const fresh = await setup.token(serverId, [{ vaultId: vaultA, permissions: ['read'] }]);
    await replica.receive(await records.tokenRecord(fresh.id));
    const at = call(fresh.token);
    const refused = await node.getItem(at, vaultA, itemA1).catch((e) => e);
    expect({ status: refused.status, message: refused.message }).toEqual({
      status: 401,
      message: 'Invalid token signature',
    });
    expect(replica.outbox.pending(100).find((p) => p.event.requestId === at.requestId)?.event).toMatchObject({
      result: 'DENY',
      tokenId: fresh.id,
      resourceType: 'ITEM',
    });
    for (const r of await records.signingKeyRecords()) await replica.receive(r);
    expect((await node.getItem(call(fresh.token), vaultA, itemA1)).toString()).toContain(SECRET);
    // The retired key still verifies the tokens it signed.
    expect((await node.getItem(call(readToken.token), vaultA, itemA1)).toString()).toContain(SECRET);
    await node.close();
  });
});

describe('a withdrawn signing key', () => {
  it('verifies nothing on the node once its record arrives, a cached token included; never comes back; survives a reopening', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    let node = nodeReads(replica, replica.outbox);
    // Verified once: its signature is in the node verifier's cache.
    expect((await node.getItem(call(readToken.token), vaultA, itemA1)).toString()).toContain(SECRET);
    const setup = adminSetup(t);
    const kid = JSON.parse(Buffer.from(readToken.token.split('.')[0] as string, 'base64url').toString()).kid;
    const keys = (await setup.api.get('/keys')).json().keys as { kid: string; state: string }[];
    if (keys.find((k) => k.kid === kid)?.state === 'current')
      expect((await setup.api.post('/keys/rotate', { kind: 'connect' })).statusCode).toBe(201);
    const unchanged = await records.signingKeyRecords();
    for (const r of unchanged) await replica.receive(r);
    const sealedRow = () => {
      const db = new BetterSqlite3(replica.file, { readonly: true });
      try {
        return (db.prepare('select sealed from signing_keys where kid = ?').get(kid) as { sealed: Buffer })
          .sealed;
      } finally {
        db.close();
      }
    };
    const beforeWithdrawal = sealedRow();
    expect((await setup.api.post(`/keys/${kid}/withdraw`)).statusCode).toBe(200);
    const withdrawn = await records.signingKeyRecords();
    expect(withdrawn.map((r) => r.type === 'signing-key' && r.key.withdrawnAt).filter(Boolean)).toHaveLength(
      1,
    );
    for (const r of withdrawn) await replica.receive(r);

    const refused = await node.getItem(call(readToken.token), vaultA, itemA1).catch((e) => e);
    expect({ status: refused.status, message: refused.message }).toEqual({
      status: 401,
      message: 'Invalid token signature',
    });
    // An out-of-date record (sent before the withdrawal, or from a central database restored to
    // before it) does not bring the key back.
    for (const r of unchanged) await replica.receive(r);
    await expect(node.getItem(call(readToken.token), vaultA, itemA1)).rejects.toMatchObject({ status: 401 });
    await node.close();

    await replica.close();
    opened.splice(opened.indexOf(replica), 1);
    const { replica: reopened } = await replicaWith([], dir);
    node = nodeReads(reopened, reopened.outbox);
    await expect(node.getItem(call(readToken.token), vaultA, itemA1)).rejects.toMatchObject({ status: 401 });
    await node.close();
    await reopened.close();
    opened.splice(opened.indexOf(reopened), 1);

    // The key's sealed row from before the withdrawal, put back at rest: an integrity error, never
    // the key verifying again.
    const db = new BetterSqlite3(join(dir, 'replica.sqlite'));
    db.prepare('update signing_keys set sealed = ? where kid = ?').run(beforeWithdrawal, kid);
    db.close();
    const { replica: rolledBack } = await replicaWith([], dir);
    node = nodeReads(rolledBack, rolledBack.outbox);
    const tampered = await node.getItem(call(readToken.token), vaultA, itemA1).catch((e) => e);
    expect({ status: tampered.status, code: tampered.code }).toEqual({
      status: 500,
      code: 'integrity_error',
    });
    await node.close();
  });
});
