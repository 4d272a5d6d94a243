import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import type { ItemRecord, ItemVersionRecord, ReplicaChange, Storage } from '../../src/storage/ports.js';

/**
 * The replica change log (storage/ports/replica.ts): recorded by the store writes themselves, as
 * the last statements of their transaction, with consecutive seqs in commit order.
 * `nodes(n)`: n handles on one database (PostgreSQL: n pools, as n central nodes; SQLite: the one
 * process's handle n times).
 */
export function replicaLogContract(backend: string, nodes: (n: number) => Promise<Storage[]>): void {
  describe(`replica log contract: ${backend}`, () => {
    const now = '2026-01-02T03:04:05.000Z';
    let all: Storage[];
    const s = () => all[0] as Storage;
    beforeEach(async () => {
      all = await nodes(3);
    });
    afterEach(async () => {
      await Promise.all(all.map((x) => x.close()));
    });

    const account = async () => {
      const id = newId();
      await s().accounts.insert({ id, name: 'Acme', createdAt: now });
      return id;
    };
    const vault = async (accountId: string) => {
      const id = newId();
      await s().vaults.insert({
        id,
        accountId,
        wrappedKey: Buffer.alloc(60),
        attributes: Buffer.alloc(40),
        type: 'USER_CREATED',
        attributeVersion: 1,
        contentVersion: 1,
        createdAt: now,
        updatedAt: now,
      });
      return id;
    };
    const item = (accountId: string, vaultId: string): [ItemRecord, ItemVersionRecord] => {
      const id = newId();
      return [
        { id, vaultId, accountId, version: 1, createdAt: now, updatedAt: now, lastEditedBy: 'u', head: null },
        {
          itemId: id,
          version: 1,
          overview: Buffer.alloc(10),
          content: Buffer.alloc(10),
          layout: 1,
          createdAt: now,
          editedBy: 'u',
          mac: null,
        },
      ];
    };
    const changesAfter = async (storage: Storage, accountId: string, seq: number) =>
      storage.replicaLog.changesAfter(accountId, seq, 1000);
    const shape = (c: ReplicaChange) => ({
      kind: c.kind,
      vaultId: c.vaultId,
      itemId: c.itemId,
      serverId: c.serverId,
      subjectId: c.subjectId,
    });

    it('a store write records its change, with the ids its arguments lack filled in, and moves the position', async () => {
      const accountId = await account();
      const other = await account();
      const vaultId = await vault(accountId);
      const start = await s().replicaLog.position();
      expect(start.epoch).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
      const [rec, first] = item(accountId, vaultId);
      await s().transaction(async (tx) => {
        await tx.items.insert(rec, first);
        await tx.vaults.touchContent(vaultId, now);
        await tx.items.setHead(rec.id, Buffer.alloc(32)); // same item: one change
      });
      await s().items.delete(vaultId, rec.id); // outside a transaction: one of its own
      const serverId = newId();
      await s().connectServers.insert(
        { id: serverId, accountId, name: 's', secretHash: Buffer.alloc(32), createdAt: now, publicKey: null },
        [],
      );
      await s().connectServers.addVault(serverId, vaultId);
      const tokenId = newId();
      await s().connectTokens.insert({
        id: tokenId,
        accountId,
        serverId,
        name: 't',
        grants: [],
        signatureHash: createHash('sha256').update(tokenId).digest(),
        createdAt: now,
        expiresAt: null,
        revokedAt: null,
      });
      await s().connectTokens.revoke(accountId, tokenId, now);
      const changes = await changesAfter(s(), accountId, start.seq);
      expect(changes.map(shape)).toEqual([
        { kind: 'item', vaultId, itemId: rec.id, serverId: null, subjectId: null },
        { kind: 'item', vaultId, itemId: rec.id, serverId: null, subjectId: null },
        { kind: 'server', vaultId: null, itemId: null, serverId, subjectId: null },
        { kind: 'server', vaultId: null, itemId: null, serverId, subjectId: null },
        { kind: 'token', vaultId: null, itemId: null, serverId, subjectId: tokenId },
        { kind: 'token', vaultId: null, itemId: null, serverId, subjectId: tokenId },
      ]);
      expect(changes.every((c) => c.accountId === accountId)).toBe(true);
      const seqs = changes.map((c) => c.seq);
      expect(seqs).toEqual(seqs.map((_, i) => start.seq + 1 + i));
      expect(await changesAfter(s(), other, start.seq)).toEqual([]);
      const end = await s().replicaLog.position();
      expect(end.seq).toBe(start.seq + 6);
      expect(end.epoch).toBe(start.epoch);
      expect((await s().replicaLog.since(start.seq, 2)).map((c) => c.seq)).toEqual([
        start.seq + 1,
        start.seq + 2,
      ]);
    });

    it("vaults.content reads a vault's content counters, only in its account", async () => {
      const accountId = await account();
      const other = await account();
      const vaultId = await vault(accountId);
      expect(await s().vaults.content(accountId, vaultId)).toEqual({ contentVersion: 1, updatedAt: now });
      await s().vaults.touchContent(vaultId, '2026-01-03T00:00:00.000Z');
      expect(await s().vaults.content(accountId, vaultId)).toEqual({
        contentVersion: 2,
        updatedAt: '2026-01-03T00:00:00.000Z',
      });
      expect(await s().vaults.content(other, vaultId)).toBeUndefined();
    });

    it('a rolled-back unit records nothing', async () => {
      const accountId = await account();
      const vaultId = await vault(accountId);
      const start = await s().replicaLog.position();
      await expect(
        s().transaction(async (tx) => {
          const [rec, first] = item(accountId, vaultId);
          await tx.items.insert(rec, first);
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect((await s().replicaLog.position()).seq).toBe(start.seq);
      expect(await changesAfter(s(), accountId, start.seq)).toEqual([]);
    });

    it('of units committed together (SQLite group commit) only the committed ones record, consecutively', async () => {
      const accountId = await account();
      const vaultId = await vault(accountId);
      const start = await s().replicaLog.position();
      const recs = [0, 1, 2, 3, 4].map(() => item(accountId, vaultId));
      const outcomes = await Promise.allSettled(
        recs.map(([rec, first], i) =>
          s().transaction(async (tx) => {
            await tx.items.insert(rec, first);
            if (i === 2) throw new Error('unit 2 fails');
          }),
        ),
      );
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      const changes = await changesAfter(s(), accountId, start.seq);
      expect(changes.map((c) => c.itemId).sort()).toEqual(
        [0, 1, 3, 4].map((i) => (recs[i] as [ItemRecord, ItemVersionRecord])[0].id).sort(),
      );
      expect(changes.map((c) => c.seq)).toEqual([1, 2, 3, 4].map((i) => start.seq + i));
    });

    it('concurrent writers on several nodes get consecutive seqs, visible in commit order', async () => {
      const accountId = await account();
      const vaultIds = await Promise.all([1, 2, 3].map(() => vault(accountId)));
      const start = await s().replicaLog.position();
      let seen = start.seq;
      let gaps = 0;
      let done = false;
      // A reader that follows the log as the pump does: never a seq seen before one below it.
      const reader = (async () => {
        while (!done) {
          const got = await (all[1] as Storage).replicaLog.since(seen, 1000);
          for (const c of got) {
            if (c.seq !== seen + 1) gaps += 1;
            seen = c.seq;
          }
          // A read may answer at once (SQLite): let the writers' turns come.
          await new Promise((r) => setTimeout(r, 1));
        }
      })();
      const writers = 30;
      await Promise.all(
        Array.from({ length: writers }, (_, i) => {
          const node = all[i % all.length] as Storage;
          const vaultId = vaultIds[i % vaultIds.length] as string;
          const [rec, first] = item(accountId, vaultId);
          return node.transaction(async (tx) => {
            await tx.items.insert(rec, first);
            await tx.vaults.touchContent(vaultId, now);
            await tx.vaults.updateAttributes(accountId, vaultId, Buffer.alloc(40), now);
          });
        }),
      );
      done = true;
      await reader;
      const changes = await changesAfter(s(), accountId, start.seq);
      expect(changes.map((c) => c.seq)).toEqual(changes.map((_, i) => start.seq + 1 + i));
      expect(changes).toHaveLength(writers * 2);
      expect(gaps).toBe(0);
    });

    it('prune deletes old changes and moves pruned_through', async () => {
      const accountId = await account();
      const vaultId = await vault(accountId);
      await s().vaults.updateAttributes(accountId, vaultId, Buffer.alloc(40), now);
      const mid = await s().replicaLog.position();
      await new Promise((r) => setTimeout(r, 20));
      const cut = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
      await s().vaults.updateAttributes(accountId, vaultId, Buffer.alloc(40), now);
      expect(await s().replicaLog.prune(cut)).toBeGreaterThanOrEqual(1);
      const end = await s().replicaLog.position();
      expect(end.prunedThrough).toBe(mid.seq);
      const left = await changesAfter(s(), accountId, 0);
      expect(left.map((c) => c.seq)).toEqual([end.seq]);
      expect(await s().replicaLog.prune(cut)).toBe(0);
      expect((await s().replicaLog.position()).prunedThrough).toBe(mid.seq);
    });

    it('an outbox mark moves once from each value, even when several nodes move it at once', async () => {
      const accountId = await account();
      const serverId = newId();
      await s().connectServers.insert(
        { id: serverId, accountId, name: 's', secretHash: Buffer.alloc(32), createdAt: now, publicKey: null },
        [],
      );
      expect(await s().nodeOutboxes.through(serverId, 'box-1')).toBe(0);
      const first = await Promise.all(
        all.map((node, i) => node.transaction((tx) => tx.nodeOutboxes.advance(serverId, 'box-1', 0, 10 + i))),
      );
      expect(first.filter(Boolean)).toHaveLength(1);
      const mark = await s().nodeOutboxes.through(serverId, 'box-1');
      expect([10, 11, 12]).toContain(mark);
      const second = await Promise.all(
        all.map((node) => node.transaction((tx) => tx.nodeOutboxes.advance(serverId, 'box-1', mark, 20))),
      );
      expect(second.filter(Boolean)).toHaveLength(1);
      expect(await s().nodeOutboxes.through(serverId, 'box-1')).toBe(20);
      expect(await s().nodeOutboxes.advance(serverId, 'box-1', 0, 30)).toBe(false);
      expect(await s().nodeOutboxes.through(serverId, 'box-2')).toBe(0);
    });
  });
}
