import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import type { ChangeTopic, Storage } from '../../src/storage/ports.js';
import { connectScene, randomHash } from '../helpers/connect-scene.js';

/**
 * The contract of what every node on one database shares beyond its rows: the change feed
 * (`Storage.changes`, ports/changes.ts) as one process sees it, and the used client-assertion
 * `jti`s (`UsedJtiStore`). Run by storageContract over every backend against a real database;
 * what several processes see of each other is tested per backend (postgres-nodes.test.ts).
 */
export function sharedStateContract(backend: string, open: () => Promise<Storage>): void {
  describe(`storage contract: ${backend}: change feed and used jtis`, () => {
    let storage: Storage;
    const now = '2026-01-02T03:04:05.000Z';
    const hash = randomHash;

    beforeEach(async () => {
      storage = await open();
    });
    afterEach(async () => {
      await storage.close();
    });

    /** Every delivery to a fresh subscriber, as sorted topic lists. */
    const record = () => {
      const deliveries: ChangeTopic[][] = [];
      const unsubscribe = storage.changes.subscribe((topics) => deliveries.push([...topics].sort()));
      return { deliveries, unsubscribe };
    };

    const account = async () => {
      const id = newId();
      await storage.accounts.insert({ id, name: 'Acme', createdAt: now });
      return id;
    };
    /** An account with a vault, a Connect server on it, and a token of that server. */
    const scene = () => connectScene(storage, now);

    describe('change feed', () => {
      it('delivers a committed transaction’s changes once, with every topic its writes touched, before it returns', async () => {
        const { accountId, token } = await scene();
        const { deliveries } = record();
        await storage.transaction(async (tx) => {
          await tx.connectTokens.revoke(accountId, token.id, now);
          await tx.resourceServers.insert(
            {
              id: newId(),
              accountId,
              identifier: `https://${newId()}.example.com`,
              name: 'Notes',
              tokenFormat: 'jwt',
              accessTokenTtl: 600,
              secretHash: hash(),
              createdAt: now,
            },
            [],
          );
          // Nothing is delivered before the commit.
          expect(deliveries).toEqual([]);
        });
        // Revoking a token and adding a server also change what a Connect node holds.
        expect(deliveries).toEqual([['access', 'catalog', 'replica']]);
      });

      it('delivers a write made outside a transaction before it returns', async () => {
        const { accountId, token } = await scene();
        const { deliveries } = record();
        expect(await storage.connectTokens.revoke(accountId, token.id, now)).toBe(true);
        expect(deliveries).toEqual([['access', 'replica']]);
        expect((await storage.connectTokens.get(token.id))?.revokedAt).toBe(now);
      });

      it('names signing keys for key writes and every topic for an account deletion', async () => {
        const accountId = await account();
        const { deliveries } = record();
        await storage.transaction(async (tx) => {
          await tx.signingKeys.retireCurrent(accountId, 'connect', now);
        });
        await storage.transaction(async (tx) => {
          await tx.accounts.delete(accountId);
        });
        expect(deliveries).toEqual([
          ['replica', 'signing-keys'],
          ['access', 'catalog', 'replica', 'signing-keys'],
        ]);
      });

      it('delivers what is announced by hand: in a transaction once it commits, outside one at once', async () => {
        const { deliveries } = record();
        await storage.transaction(async (tx) => {
          await tx.changes.announce(new Set(['catalog']));
          await tx.changes.announce(new Set(['signing-keys']));
          expect(deliveries).toEqual([]);
        });
        await storage.changes.announce(new Set(['access']));
        expect(deliveries).toEqual([['catalog', 'signing-keys'], ['access']]);
      });

      it('delivers nothing for reads and for writes nothing in memory depends on', async () => {
        const { accountId, vaultId, serverId, token } = await scene();
        const { deliveries } = record();
        await storage.connectTokens.get(token.id);
        await storage.connectServers.vaults(serverId);
        await storage.vaults.find(accountId, vaultId);
        await storage.transaction(async (tx) => {
          await tx.loginAttempts.clear([hash()]);
          await tx.usedJtis.claim(hash(), 2_000, 1_000);
        });
        expect(deliveries).toEqual([]);
      });

      it('stops delivering to a listener that unsubscribed, and keeps delivering to the others', async () => {
        const first = record();
        const second = record();
        first.unsubscribe();
        await storage.changes.announce(new Set(['access']));
        expect(first.deliveries).toEqual([]);
        expect(second.deliveries).toEqual([['access']]);
      });

      it('lets the writer read its own change at once, through whatever this process caches', async () => {
        const { accountId, serverId, vaultId, token } = await scene();
        // Read twice: the second read may come from memory.
        await storage.connectTokens.get(token.id);
        await storage.connectServers.vaults(serverId);
        expect((await storage.connectTokens.get(token.id))?.revokedAt).toBeNull();
        await storage.transaction(async (tx) => {
          await tx.connectTokens.revoke(accountId, token.id, now);
          await tx.connectServers.removeVault(serverId, vaultId);
        });
        expect((await storage.connectTokens.get(token.id))?.revokedAt).toBe(now);
        expect(await storage.connectServers.vaults(serverId)).toEqual([]);
      });
    });

    describe('used jtis', () => {
      const T = 1_750_000_000_000;

      it('claims a key once while its record lives, and again once it has expired', async () => {
        const key = hash();
        expect(await storage.usedJtis.claim(key, T + 1_000, T)).toBe(true);
        expect(await storage.usedJtis.claim(key, T + 5_000, T + 999)).toBe(false);
        // A refused claim did not extend the record.
        expect(await storage.usedJtis.claim(key, T + 9_000, T + 1_000)).toBe(true);
        expect(await storage.usedJtis.claim(key, T + 9_000, T + 8_999)).toBe(false);
        expect(await storage.usedJtis.claim(hash(), T + 1_000, T)).toBe(true);
      });

      it('of 50 concurrent claims of one key, alone or in transactions, exactly one wins', async () => {
        const key = hash();
        const direct = await Promise.all(
          Array.from({ length: 50 }, () => storage.usedJtis.claim(key, T + 1_000, T)),
        );
        expect(direct.filter(Boolean)).toHaveLength(1);
        const other = hash();
        const inTransactions = await Promise.all(
          Array.from({ length: 50 }, () =>
            storage.transaction((tx) => tx.usedJtis.claim(other, T + 1_000, T)),
          ),
        );
        expect(inTransactions.filter(Boolean)).toHaveLength(1);
      });

      it('rolls a claim back with its transaction', async () => {
        const key = hash();
        await expect(
          storage.transaction(async (tx) => {
            expect(await tx.usedJtis.claim(key, T + 1_000, T)).toBe(true);
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        expect(await storage.usedJtis.claim(key, T + 1_000, T)).toBe(true);
      });

      it('purges records expired before a time, saying how many', async () => {
        const early = hash();
        await storage.usedJtis.claim(early, T + 1_000, T);
        await storage.usedJtis.claim(hash(), T + 5_000, T);
        expect(await storage.usedJtis.purgeExpired(T + 1_000)).toBe(0);
        expect(await storage.usedJtis.purgeExpired(T + 1_001)).toBe(1);
        expect(await storage.usedJtis.purgeExpired(T + 10_000)).toBe(1);
        // Purged means forgotten: claimable again (its expiry had passed anyway).
        expect(await storage.usedJtis.claim(early, T + 20_000, T + 10_000)).toBe(true);
      });

      it('refuses times that are not integer milliseconds', async () => {
        await expect(storage.usedJtis.claim(hash(), 1.5, T)).rejects.toThrow(TypeError);
        await expect(storage.usedJtis.claim(hash(), T, Number.NaN)).rejects.toThrow(TypeError);
      });
    });
  });
}
