import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectCall } from '../../../src/connect-server/central/central-client.js';
import { nodeReads } from '../../../src/connect-server/node/node-reads.js';
import { openReplica, type SqliteReplica } from '../../../src/connect-server/node/sqlite-replica.js';
import {
  type ReplicaRecord,
  replicaRecord,
  shippedEvent,
} from '../../../src/connect-server/wire/replica-protocol.js';
import { importServerPublicKey, wrapVaultKey } from '../../../src/crypto/server-key.js';
import type { ConnectCredentials } from '../../../src/domain/connect/server-service.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { adminSetup } from '../../helpers/connect-app.js';
import { replicaRecords } from '../../helpers/replica-records.js';

/**
 * The replica and the node's read path under attack: tampered storage, hostile records (a
 * network path without TLS, or a buggy central service), and a second process on the data
 * directory. Each case is a refusal or an integrity error, never wrong data.
 */

const EPOCH = 'epoch-aaaaaaaaaaaaaaaa';
const OTHER_EPOCH = 'epoch-bbbbbbbbbbbbbbbb';

let t: TestApp;
let credentials: ConnectCredentials;
let serverId: string;
let vaultA: string;
let vaultB: string;
let vaultOther: string;
let itemA1: string;
let readToken: { id: string; token: string };
let records: ReturnType<typeof replicaRecords>;
const dirs: string[] = [];
const opened: SqliteReplica[] = [];

let requestSeq = 0;
const call = (token: string): ConnectCall => ({
  token,
  requestId: `atk-${++requestSeq}`,
  ip: '192.0.2.9',
  userAgent: 'replica-attacks',
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-replica-atk-'));
  dirs.push(dir);
  return dir;
};

async function replicaWith(recordsToApply: ReplicaRecord[], dir = tempDir()) {
  const replica = await openReplica({ dataDir: dir, credentials });
  opened.push(replica);
  for (const r of recordsToApply) await replica.receive(r);
  return { replica, dir };
}

const closeIt = async (replica: SqliteReplica) => {
  await replica.close();
  opened.splice(opened.indexOf(replica), 1);
};

const fullState = (epoch = EPOCH, seq = 1) => records.fullState(epoch, seq, [readToken.id]);
const wire = (r: ReplicaRecord) => replicaRecord.parse(r);

beforeAll(async () => {
  t = await startTestApp();
  const setup = adminSetup(t);
  vaultA = (await setup.vault('alpha')).id;
  vaultB = (await setup.vault('beta')).id;
  vaultOther = (await setup.vault('not on the server')).id;
  itemA1 = (
    await setup.item(vaultA, {
      title: 'db',
      category: 'LOGIN',
      fields: [{ purpose: 'PASSWORD', type: 'CONCEALED', value: 'the-real-secret' }],
    })
  ).id;
  const created = (await setup.api.post('/servers', { name: 'node', vaults: [vaultA, vaultB] })).json() as {
    id: string;
    credentials: ConnectCredentials;
  };
  serverId = created.id;
  credentials = created.credentials;
  readToken = await setup.token(serverId, [
    { vaultId: vaultA, permissions: ['read'] },
    { vaultId: vaultB, permissions: ['read'] },
  ]);
  records = replicaRecords(t.storage, t.keyring, serverId);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await t.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A vault record as a forger with the server's public key (not secret) makes it: a key of its own choosing. */
async function forgedVaultRecord(vaultId: string): Promise<ReplicaRecord> {
  const genuine = await records.vaultRecord(vaultId);
  if (genuine.type !== 'vault') throw new Error('not a vault record');
  const { d: _d, ...publicJwk } = credentials.serverKey;
  const key = await wrapVaultKey(await importServerPublicKey(publicJwk), genuine.vault, randomBytes(32));
  return wire({ type: 'vault', vault: { ...genuine.vault, key } });
}

describe('the data directory', () => {
  it('a second replica opened on a data directory in use is refused, and the first one keeps its reset', async () => {
    const state = await fullState();
    const { replica, dir } = await replicaWith([]);
    // The first is half-way through a reset when the second starts.
    for (const r of state.slice(0, -1)) await replica.receive(r);
    await expect(openReplica({ dataDir: dir, credentials })).rejects.toMatchObject({
      code: 'data_dir_in_use',
    });
    await replica.receive(state[state.length - 1] as ReplicaRecord);
    const node = nodeReads(replica, replica.outbox);
    const items = await node.listItems(call(readToken.token), vaultA);
    expect(items.map((i) => i.id)).toEqual([itemA1]);
    await node.close();
    // Free again once the first is closed.
    await closeIt(replica);
    const { replica: again } = await replicaWith([], dir);
    expect(again.position()).toEqual({ epoch: EPOCH, seq: 1 });
  });

  it('a data directory that is a link to one in use is refused as in use', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    const link = join(tempDir(), 'link');
    symlinkSync(dir, link);
    await expect(openReplica({ dataDir: link, credentials })).rejects.toMatchObject({
      code: 'data_dir_in_use',
    });
    expect(replica.position()).toEqual({ epoch: EPOCH, seq: 1 });
  });

  it('a replica whose identity row was deleted is refused at open, not made anew over the old rows', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    const outboxId = replica.outbox.id;
    await closeIt(replica);
    const db = new BetterSqlite3(join(dir, 'replica.sqlite'));
    db.prepare("delete from meta where key = 'identity'").run();
    db.close();
    await expect(openReplica({ dataDir: dir, credentials })).rejects.toMatchObject({
      code: 'replica_foreign',
    });
    const check = new BetterSqlite3(join(dir, 'replica.sqlite'));
    const row = check.prepare("select value from meta where key = 'outbox_id'").get() as { value: Buffer };
    check.close();
    expect(row.value.toString('utf8')).toBe(outboxId);
  });

  it('a replica file and its data directory are private to the node, even when they existed before', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'replica.sqlite'), '', { mode: 0o644 });
    chmodSync(join(dir, 'replica.sqlite'), 0o644);
    const { replica } = await replicaWith(await fullState(), dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of ['replica.sqlite', 'replica.sqlite-wal', 'replica.sqlite-shm'])
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    await closeIt(replica);
  });

  it('a replica file that is a symbolic link is refused, and what it points at is left alone', async () => {
    const dir = tempDir();
    const elsewhere = join(tempDir(), 'precious');
    writeFileSync(elsewhere, 'not yours', { mode: 0o644 });
    chmodSync(elsewhere, 0o644);
    symlinkSync(elsewhere, join(dir, 'replica.sqlite'));
    await expect(openReplica({ dataDir: dir, credentials })).rejects.toMatchObject({
      code: 'replica_unreadable',
      message: expect.stringContaining('symbolic link'),
    });
    expect(statSync(elsewhere).mode & 0o777).toBe(0o644);
    expect(readFileSync(elsewhere, 'utf8')).toBe('not yours');
  });

  it('a truncated or garbage replica file is a clear refusal at open, not a raw SQLite error', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    await closeIt(replica);
    const file = join(dir, 'replica.sqlite');
    writeFileSync(file, Buffer.concat([Buffer.from('SQLite format 3\0'), randomBytes(5000)]));
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    await expect(openReplica({ dataDir: dir, credentials })).rejects.toMatchObject({
      code: 'replica_unreadable',
      message: expect.stringContaining(dir),
    });
    const notADir = join(tempDir(), 'sub');
    mkdirSync(notADir);
    writeFileSync(join(notADir, 'replica.sqlite'), 'not a database at all, just text');
    await expect(openReplica({ dataDir: notADir, credentials })).rejects.toMatchObject({
      code: 'replica_unreadable',
    });
  });
});

describe('tampered storage', () => {
  const flip = (bytes: Buffer, at: number) => bytes.writeUInt8(bytes.readUInt8(at) ^ 1, at);
  const tamper = (dir: string, select: string, update: string) => {
    const db = new BetterSqlite3(join(dir, 'replica.sqlite'));
    const row = db.prepare(select).get() as { v: Buffer };
    flip(row.v, 30);
    db.prepare(update).run(row.v);
    db.close();
  };

  for (const [what, select, update] of [
    ['a vault row', 'select sealed as v from vaults limit 1', 'update vaults set sealed = ?'],
    ['a vault content row', 'select content as v from vaults limit 1', 'update vaults set content = ?'],
    [
      "the server's vault set",
      "select sealed as v from state where key = 'server'",
      "update state set sealed = ? where key = 'server'",
    ],
    [
      'the position',
      "select value as v from meta where key = 'position'",
      "update meta set value = ? where key = 'position'",
    ],
  ] as const) {
    it(`${what} altered at rest is a refusal at open (replica_unreadable), never wrong data`, async () => {
      const { replica, dir } = await replicaWith(await fullState());
      await closeIt(replica);
      tamper(dir, select, update);
      const refused = await openReplica({ dataDir: dir, credentials }).catch((e) => e);
      expect(refused).toMatchObject({ code: 'replica_unreadable' });
      expect(refused.message).toContain(dir);
      // Free for the next attempt: a refusal at open releases the directory.
      await expect(openReplica({ dataDir: dir, credentials })).rejects.toMatchObject({
        code: 'replica_unreadable',
      });
    });
  }

  it('a signing key row altered at rest is an integrity error at the read that needs it', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    await closeIt(replica);
    tamper(dir, 'select sealed as v from signing_keys limit 1', 'update signing_keys set sealed = ?');
    const { replica: again } = await replicaWith([], dir);
    const node = nodeReads(again, again.outbox);
    const refused = await node.getItem(call(readToken.token), vaultA, itemA1).catch((e) => e);
    expect({ status: refused.status, code: refused.code }).toEqual({ status: 500, code: 'integrity_error' });
    await node.close();
  });

  it("vault rows swapped between two vaults' ids do not open", async () => {
    const { replica, dir } = await replicaWith(await fullState());
    await closeIt(replica);
    const db = new BetterSqlite3(join(dir, 'replica.sqlite'));
    db.prepare('update vaults set id = ? where id = ?').run('x'.repeat(26), vaultA);
    db.prepare('update vaults set id = ? where id = ?').run(vaultA, vaultB);
    db.prepare('update vaults set id = ? where id = ?').run(vaultB, 'x'.repeat(26));
    db.close();
    await expect(openReplica({ dataDir: dir, credentials })).rejects.toMatchObject({
      code: 'replica_unreadable',
    });
  });
});

describe('hostile records', () => {
  it('a mark of another epoch than its reset is refused, and what the reset gathered is not taken', async () => {
    const { replica } = await replicaWith(await fullState());
    const again = await fullState(EPOCH, 2);
    // The reset's records without the server's vault B.
    const other = again.filter((r) => !(r.type === 'vault' && r.vault.id === vaultB)).slice(0, -1);
    for (const r of other) await replica.receive(r);
    await expect(replica.receive(wire({ type: 'mark', epoch: OTHER_EPOCH, seq: 7 }))).rejects.toThrow(
      /epoch/,
    );
    expect(replica.position()).toEqual({ epoch: EPOCH, seq: 1 });
    const node = nodeReads(replica, replica.outbox);
    expect((await node.listVaults(call(readToken.token))).map((v) => v.id).sort()).toEqual(
      [vaultA, vaultB].sort(),
    );
    await node.close();
  });

  it("item records out of place are refused and change nothing: another vault, another item's head, another account, a file that does not open", async () => {
    const { replica } = await replicaWith(await fullState());
    const genuine = await records.itemRecord(vaultA, itemA1);
    if (genuine.type !== 'item') throw new Error('not an item record');
    const other = (await fullState()).find((r) => r.type === 'item' && r.item.id !== itemA1);
    const file = {
      id: 'f'.repeat(26),
      itemId: itemA1,
      vaultId: vaultA,
      meta: 'AAAA',
      size: 0,
      createdAt: genuine.item.createdAt,
      content: 'AAAA',
    };
    const hostile = [
      { ...genuine.item, vaultId: vaultB },
      { ...genuine.item, accountId: 'a'.repeat(26) },
      { ...genuine.item, version: genuine.item.version + 1 },
      ...(other?.type === 'item' ? [{ ...genuine.item, head: other.item.head }] : []),
      { ...genuine.item, files: [file, file] },
    ];
    for (const item of hostile) {
      await expect(
        replica.receive(wire({ type: 'item', item, vaultContent: genuine.vaultContent })),
      ).rejects.toBeDefined();
    }
    const node = nodeReads(replica, replica.outbox);
    const json = await node.getItem(call(readToken.token), vaultA, itemA1);
    expect(json.toString('utf8')).toContain('the-real-secret');
    expect((await node.listItems(call(readToken.token), vaultB)).map((i) => i.id)).not.toContain(itemA1);
    await node.close();
  });

  it('a vault record with another data key for a vault the replica holds is refused, in a reset too', async () => {
    const { replica } = await replicaWith(await fullState());
    const forged = await forgedVaultRecord(vaultA);
    await expect(replica.receive(forged)).rejects.toMatchObject({ code: 'integrity_error' });
    await replica.receive(wire({ type: 'reset', epoch: EPOCH }));
    await replica.receive(await records.serverRecord());
    await expect(replica.receive(forged)).rejects.toMatchObject({ code: 'integrity_error' });
    replica.abandon();
    const node = nodeReads(replica, replica.outbox);
    const json = await node.getItem(call(readToken.token), vaultA, itemA1);
    expect(json.toString('utf8')).toContain('the-real-secret');
    await node.close();
  });

  it('a vault record for a vault the server may not reach is refused', async () => {
    const { replica } = await replicaWith(await fullState());
    await expect(replica.receive(await records.vaultRecord(vaultOther))).rejects.toMatchObject({
      code: 'integrity_error',
    });
    await replica.receive(wire({ type: 'reset', epoch: EPOCH }));
    await replica.receive(await records.serverRecord());
    await expect(replica.receive(await records.vaultRecord(vaultOther))).rejects.toMatchObject({
      code: 'integrity_error',
    });
  });

  it('a signing-key record that changes the public key of a kid held is refused', async () => {
    const { replica } = await replicaWith(await fullState());
    const [key] = await records.signingKeyRecords();
    if (key?.type !== 'signing-key') throw new Error('no signing key');
    const { generateKeyPair, exportJWK } = await import('jose');
    const pair = await generateKeyPair('ES256', { extractable: true });
    const forged = wire({
      type: 'signing-key',
      key: { ...key.key, publicJwk: JSON.stringify(await exportJWK(pair.publicKey)) },
    });
    await expect(replica.receive(forged)).rejects.toMatchObject({ code: 'integrity_error' });
    // The same record again (a resumed stream repeats what the node has) is harmless.
    await replica.receive(key);
    const node = nodeReads(replica, replica.outbox);
    expect(await node.listVaults(call(readToken.token))).toHaveLength(2);
    await node.close();
  });
});

describe('authorization from the replica', () => {
  it('a grant naming a vault the server does not reach, or no longer reaches, reads nothing', async () => {
    const { replica } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    const widened = await records.tokenRecord(readToken.id);
    if (widened.type !== 'token') throw new Error('not a token record');
    widened.token.grants = [...widened.token.grants, { vaultId: vaultOther, permissions: ['read'] }];
    await replica.receive(wire(widened));
    const other = await node.listItems(call(readToken.token), vaultOther).catch((e) => e);
    expect({ status: other.status, code: other.code }).toEqual({ status: 404, code: 'not_found' });
    // Vault B leaves the server; the token still names it.
    await replica.receive(await records.serverRecord([vaultA]));
    const gone = await node.listItems(call(readToken.token), vaultB).catch((e) => e);
    expect({ status: gone.status, code: gone.code }).toEqual({ status: 404, code: 'not_found' });
    expect((await node.listVaults(call(readToken.token))).map((v) => v.id)).toEqual([vaultA]);
    await node.close();
  });

  it('a token revoked or dropped by a reset is refused right after its mark, though verified before', async () => {
    const { replica } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    await node.getItem(call(readToken.token), vaultA, itemA1);
    // A reset that no longer holds the token at all.
    const without = (await fullState(EPOCH, 2)).filter((r) => r.type !== 'token');
    for (const r of without) await replica.receive(r);
    const dropped = await node.getItem(call(readToken.token), vaultA, itemA1).catch((e) => e);
    expect(dropped.status).toBe(401);
    // A reset that holds it revoked.
    const revoked = (await fullState(EPOCH, 3)).map((r) =>
      r.type === 'token' ? wire({ ...r, token: { ...r.token, revokedAt: new Date().toISOString() } }) : r,
    );
    for (const r of revoked) await replica.receive(r);
    const refused = await node.getItem(call(readToken.token), vaultA, itemA1).catch((e) => e);
    expect({ status: refused.status, message: refused.message }).toEqual({
      status: 401,
      message: 'Invalid token: the token has been revoked',
    });
    await node.close();
  });

  it('a token record of another server or account is refused, and grants nothing', async () => {
    const { replica } = await replicaWith(await fullState());
    const record = await records.tokenRecord(readToken.id);
    if (record.type !== 'token') throw new Error('not a token record');
    for (const token of [
      { ...record.token, id: 'q'.repeat(26), serverId: 'r'.repeat(26) },
      { ...record.token, id: 'q'.repeat(26), accountId: 's'.repeat(26) },
    ]) {
      await expect(replica.receive(wire({ type: 'token', token }))).rejects.toMatchObject({
        code: 'integrity_error',
      });
    }
    expect(await replica.stores.connectTokens.get('q'.repeat(26))).toBeUndefined();
  });

  it('a caller without access learns nothing of which items exist: the same refusal either way', async () => {
    const setup = adminSetup(t);
    const onlyB = await setup.token(serverId, [{ vaultId: vaultB, permissions: ['read'] }]);
    const { replica } = await replicaWith(await records.fullState(EPOCH, 1, [readToken.id, onlyB.id]));
    const node = nodeReads(replica, replica.outbox);
    const existing = await node.getItem(call(onlyB.token), vaultA, itemA1).catch((e) => e);
    const missing = await node.getItem(call(onlyB.token), vaultA, 'z'.repeat(26)).catch((e) => e);
    const file = await node.fileContent(call(onlyB.token), vaultA, itemA1, 'y'.repeat(26)).catch((e) => e);
    const shape = (e: { status: number; code: string; message: string }) => ({
      status: e.status,
      code: e.code,
      message: e.message.replace(/[0-9a-z]{26}/g, 'ID'),
    });
    expect(shape(existing)).toEqual(shape(missing));
    expect(shape(file)).toEqual(shape(missing));
    expect(existing.status).toBe(403);
    expect(JSON.stringify(existing)).not.toContain(itemA1);
    await node.close();
  });
});

describe('reads while records arrive', () => {
  it('parallel reads during item updates and a reset are each whole: one version, its own head, never an error', async () => {
    const setup = adminSetup(t);
    const body = (secret: string) => ({
      title: 'moving',
      category: 'LOGIN',
      fields: [{ purpose: 'PASSWORD', type: 'CONCEALED', value: secret }],
    });
    const item = await setup.item(vaultB, body('moving-secret-v1'));
    const { replica } = await replicaWith(await fullState());
    const updates: ReplicaRecord[] = [];
    for (const n of [2, 3, 4]) {
      const res = await setup.api.put(`/vaults/${vaultB}/items/${item.id}`, {
        ...body(`moving-secret-v${n}`),
      });
      expect(res.statusCode).toBeLessThan(300);
      updates.push(await records.itemRecord(vaultB, item.id));
    }
    const reset = await fullState(EPOCH, 9);
    const node = nodeReads(replica, replica.outbox);
    const reads: Promise<Buffer>[] = [];
    const feed = (async () => {
      for (const r of [...updates.slice(0, 2), ...reset, updates[2] as ReplicaRecord]) {
        await replica.receive(r);
        for (let i = 0; i < 20; i += 1) reads.push(node.getItem(call(readToken.token), vaultB, item.id));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let i = 0; i < 50; i += 1) reads.push(node.getItem(call(readToken.token), vaultB, item.id));
    await feed;
    const answers = await Promise.all(reads);
    const secrets = answers.map((a) => /moving-secret-v(\d)/.exec(a.toString('utf8'))?.[1]);
    expect(secrets.every((s) => s !== undefined)).toBe(true);
    expect(secrets[secrets.length - 1]).toBe('4');
    await node.close();
  });
});

describe('the outbox fails closed', () => {
  it('a read whose event cannot be committed answers no secret, in parallel too', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    await node.getItem(call(readToken.token), vaultA, itemA1);
    // The outbox table made unwritable behind the node's back.
    const db = new BetterSqlite3(join(dir, 'replica.sqlite'));
    db.exec("create trigger no_outbox before insert on outbox begin select raise(abort, 'refused'); end");
    db.close();
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => node.getItem(call(readToken.token), vaultA, itemA1)),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    for (const r of results) {
      if (r.status === 'rejected') expect(String(r.reason?.message)).not.toContain('the-real-secret');
    }
    await node.close();
  });
});

describe('the time of the last mark', () => {
  it('is kept sealed with the position: it survives a restart, and an older copy of the row only makes it older', async () => {
    const before = Date.now();
    const { replica, dir } = await replicaWith(await fullState());
    const first = replica.lastMarkAt() as number;
    expect(first).toBeGreaterThanOrEqual(before);
    const db = () => new BetterSqlite3(join(dir, 'replica.sqlite'));
    const read = db();
    const older = (read.prepare("select value from meta where key = 'position'").get() as { value: Buffer })
      .value;
    read.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await replica.receive(wire({ type: 'mark', epoch: EPOCH, seq: 2 }));
    const second = replica.lastMarkAt() as number;
    expect(second).toBeGreaterThan(first);
    await closeIt(replica);
    const { replica: again } = await replicaWith([], dir);
    expect(again.lastMarkAt()).toBe(second);
    await closeIt(again);
    // The row put back to an older copy: an older time, never a newer one.
    const write = db();
    write.prepare("update meta set value = ? where key = 'position'").run(older);
    write.close();
    const { replica: third } = await replicaWith([], dir);
    expect(third.lastMarkAt()).toBe(first);
    expect(third.position()).toEqual({ epoch: EPOCH, seq: 1 });
  });
});

describe('after server-gone', () => {
  it('takes no record, serves nothing, and leaves nothing in the data directory', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    const node = nodeReads(replica, replica.outbox);
    await replica.receive(wire({ type: 'server-gone' }));
    await expect(replica.receive(await records.serverRecord())).rejects.toThrow(/closed/);
    await expect(replica.receive(wire({ type: 'reset', epoch: EPOCH }))).rejects.toThrow(/closed/);
    await expect(node.getItem(call(readToken.token), vaultA, itemA1)).rejects.toThrow();
    await replica.close();
    expect(readdirSync(dir)).toEqual([]);
    // The directory is free for a new replica.
    const { replica: fresh } = await replicaWith([], dir);
    expect(fresh.position()).toBeUndefined();
    await node.close();
  });
});

describe('the outbox as shipped', () => {
  it('a refusal summary counting more than a million refusals (a flood of 17k a second for its minute) still ships', async () => {
    const summary = {
      occurredAt: new Date().toISOString(),
      actorType: 'connect_token',
      actorId: 'unknown',
      tokenId: null,
      action: 'READ',
      resourceType: 'ITEM',
      resourceId: null,
      vaultId: null,
      itemId: null,
      itemVersion: null,
      result: 'DENY',
      requestId: null,
      ip: '198.51.100.4',
      userAgent: 'flood',
      count: 1_500_000,
    };
    // The shipper drops an event the schema refuses: the flood would vanish from the trail.
    expect(shippedEvent.safeParse(summary).success).toBe(true);
    // Bounded by the trail's column (a 32-bit integer), not above it.
    expect(shippedEvent.safeParse({ ...summary, count: 2 ** 31 }).success).toBe(false);
  });
});

describe('a token row put back to an older copy', () => {
  const revoke = async (replica: SqliteReplica) => {
    const record = await records.tokenRecord(readToken.id);
    if (record.type !== 'token') throw new Error('not a token record');
    await replica.receive(
      wire({ ...record, token: { ...record.token, revokedAt: new Date().toISOString() } }),
    );
  };
  const rowsOf = (dir: string) => {
    const db = new BetterSqlite3(join(dir, 'replica.sqlite'));
    const token = (
      db.prepare('select sealed from tokens where id = ?').get(readToken.id) as { sealed: Buffer }
    ).sealed;
    const ledger = (
      db.prepare("select value from meta where key = 'token_ledger'").get() as { value: Buffer }
    )?.value;
    db.close();
    return { token, ledger };
  };
  const putBack = (dir: string, rows: { token: Buffer; ledger?: Buffer }) => {
    const db = new BetterSqlite3(join(dir, 'replica.sqlite'));
    db.prepare('update tokens set sealed = ? where id = ?').run(rows.token, readToken.id);
    if (rows.ledger) db.prepare("update meta set value = ? where key = 'token_ledger'").run(rows.ledger);
    db.close();
  };

  it('from before its revocation does not let it read again, running or after a restart', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    const before = rowsOf(dir);
    await revoke(replica);
    putBack(dir, { token: before.token });
    const node = nodeReads(replica, replica.outbox);
    const running = await node.getItem(call(readToken.token), vaultA, itemA1).catch((e) => e);
    expect(running.status).toBeGreaterThanOrEqual(400);
    expect(String(running.message)).not.toContain('the-real-secret');
    await node.close();
    await closeIt(replica);
    const { replica: again } = await replicaWith([], dir);
    const restarted = nodeReads(again, again.outbox);
    const refused = await restarted.getItem(call(readToken.token), vaultA, itemA1).catch((e) => e);
    expect({ status: refused.status, code: refused.code }).toEqual({ status: 500, code: 'integrity_error' });
    await restarted.close();
  });

  it('with the token ledger put back too is refused at start', async () => {
    const { replica, dir } = await replicaWith(await fullState());
    const before = rowsOf(dir);
    await revoke(replica);
    await closeIt(replica);
    putBack(dir, before);
    await expect(openReplica({ dataDir: dir, credentials })).rejects.toMatchObject({
      code: 'replica_unreadable',
    });
  });
});
