import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import type { AuditEventInput, Storage } from '../../src/storage/ports.js';

/**
 * The contract of reading the trail narrowed (AuditStore.list's filters) and of naming its actors
 * (ActorDirectory), run by storageContract over every backend against a real database.
 */
export function auditQueryContract(backend: string, open: () => Promise<Storage>): void {
  describe(`storage contract: ${backend}: audit filters and actor names`, () => {
    let storage: Storage;
    const now = '2026-01-02T03:04:05.000Z';
    beforeEach(async () => {
      storage = await open();
    });
    afterEach(async () => {
      await storage.close();
    });

    const account = async () => {
      const a = { id: newId(), name: 'Acme', createdAt: now };
      await storage.accounts.insert(a);
      return a.id;
    };
    /** Event `n` (its `itemVersion`, to name it in assertions) with these differences. */
    const event = (accountId: string, n: number, e: Partial<AuditEventInput> = {}): AuditEventInput => ({
      occurredAt: `2026-01-${String(n).padStart(2, '0')}T12:00:00.000Z`,
      accountId,
      actorType: 'user',
      actorId: 'alice',
      tokenId: null,
      action: 'READ',
      resourceType: 'ITEM',
      resourceId: null,
      vaultId: null,
      itemId: null,
      itemVersion: n,
      result: 'SUCCESS',
      requestId: null,
      ip: null,
      userAgent: null,
      ...e,
    });
    const numbers = (events: { itemVersion: number | null }[]) => events.map((e) => e.itemVersion);

    /**
     * Ten events of account `a` (one a day, Jan 1-10) and two of account `b` that would match
     * every filter below if accounts were not kept apart.
     */
    const trail = async () => {
      const a = await account();
      const b = await account();
      const [v, i, r] = [newId(), newId(), newId()];
      const events: AuditEventInput[] = [
        event(a, 1, { action: 'CREATE', resourceType: 'VAULT', resourceId: v, vaultId: v }),
        event(a, 2, { vaultId: v, itemId: i }),
        event(a, 3, { actorId: 'bob', vaultId: v, itemId: i, result: 'DENY' }),
        event(a, 4, { action: 'UPDATE', vaultId: v, itemId: i, itemVersion: 4 }),
        event(a, 5, { actorId: 'bob', action: 'CREATE', resourceType: 'USER', resourceId: r }),
        event(a, 6, {
          actorType: 'admin_token',
          actorId: 'tok',
          action: 'DELETE',
          resourceType: 'USER',
          resourceId: r,
        }),
        event(a, 7, {
          actorId: 'bob',
          resourceType: 'VAULT',
          resourceId: v,
          vaultId: v,
          result: 'FAILURE',
          action: 'UPDATE',
        }),
        event(a, 8, { vaultId: v, itemId: i }),
        event(a, 9, { actorId: 'bob', vaultId: v, itemId: i }),
        event(a, 10, { action: 'DELETE', vaultId: v, itemId: i, result: 'DENY' }),
        event(b, 11, { vaultId: v, itemId: i, resourceId: r }),
        event(b, 12, { actorId: 'bob', action: 'DELETE', result: 'DENY' }),
      ];
      for (const e of events) await storage.audit.append(e);
      return { a, b, v, i, r };
    };

    it('filters by actor', async () => {
      const { a } = await trail();
      expect(numbers(await storage.audit.list(a, { limit: 50, actorId: 'bob' }))).toEqual([9, 7, 5, 3]);
      expect(numbers(await storage.audit.list(a, { limit: 50, actorId: 'tok' }))).toEqual([6]);
      expect(await storage.audit.list(a, { limit: 50, actorId: 'nobody' })).toEqual([]);
    });

    it('filters by action and by result', async () => {
      const { a } = await trail();
      expect(numbers(await storage.audit.list(a, { limit: 50, action: 'DELETE' }))).toEqual([10, 6]);
      expect(numbers(await storage.audit.list(a, { limit: 50, result: 'DENY' }))).toEqual([10, 3]);
      expect(numbers(await storage.audit.list(a, { limit: 50, result: 'FAILURE' }))).toEqual([7]);
    });

    it('filters by resource type, and by a resource id found in resourceId, vaultId or itemId', async () => {
      const { a, v, i, r } = await trail();
      expect(numbers(await storage.audit.list(a, { limit: 50, resourceType: 'USER' }))).toEqual([6, 5]);
      expect(numbers(await storage.audit.list(a, { limit: 50, resourceId: r }))).toEqual([6, 5]);
      // The vault's own events (resourceId) and its items' (vaultId), each once.
      expect(numbers(await storage.audit.list(a, { limit: 50, resourceId: v }))).toEqual([
        10, 9, 8, 7, 4, 3, 2, 1,
      ]);
      expect(numbers(await storage.audit.list(a, { limit: 50, resourceId: i }))).toEqual([10, 9, 8, 4, 3, 2]);
      expect(
        numbers(await storage.audit.list(a, { limit: 50, resourceId: v, resourceType: 'VAULT' })),
      ).toEqual([7, 1]);
    });

    it('filters by time: since inclusive, until exclusive', async () => {
      const { a } = await trail();
      const day = (d: number) => `2026-01-${String(d).padStart(2, '0')}T12:00:00.000Z`;
      expect(numbers(await storage.audit.list(a, { limit: 50, since: day(8) }))).toEqual([10, 9, 8]);
      expect(numbers(await storage.audit.list(a, { limit: 50, until: day(3) }))).toEqual([2, 1]);
      expect(numbers(await storage.audit.list(a, { limit: 50, since: day(4), until: day(6) }))).toEqual([
        5, 4,
      ]);
      expect(await storage.audit.list(a, { limit: 50, since: day(11) })).toEqual([]);
    });

    it('combines filters (every one must match)', async () => {
      const { a, v, i } = await trail();
      expect(
        numbers(await storage.audit.list(a, { limit: 50, actorId: 'bob', resourceId: i, result: 'SUCCESS' })),
      ).toEqual([9]);
      expect(
        numbers(
          await storage.audit.list(a, {
            limit: 50,
            resourceId: v,
            action: 'READ',
            since: '2026-01-03T00:00:00.000Z',
            until: '2026-01-09T00:00:00.000Z',
          }),
        ),
      ).toEqual([8, 3]);
      expect(await storage.audit.list(a, { limit: 50, actorId: 'tok', result: 'DENY' })).toEqual([]);
    });

    it('pages a filtered trail with limit and beforeSeq, with and without a resource id', async () => {
      const { a, v } = await trail();
      const page = async (filter: { resourceId?: string; actorId?: string }) => {
        const seen: (number | null)[][] = [];
        let before: number | undefined;
        for (;;) {
          const events = await storage.audit.list(a, {
            limit: 3,
            ...filter,
            ...(before === undefined ? {} : { beforeSeq: before }),
          });
          if (events.length === 0) return seen;
          seen.push(numbers(events));
          before = events.at(-1)?.seq;
        }
      };
      expect(await page({ resourceId: v })).toEqual([
        [10, 9, 8],
        [7, 4, 3],
        [2, 1],
      ]);
      expect(await page({ actorId: 'alice' })).toEqual([
        [10, 8, 4],
        [2, 1],
      ]);
      expect(await page({ actorId: 'bob', resourceId: v })).toEqual([[9, 7, 3]]);
    });

    it("never returns another account's events, whatever the filter", async () => {
      const { b, v, i, r } = await trail();
      expect(numbers(await storage.audit.list(b, { limit: 50, resourceId: i }))).toEqual([11]);
      expect(numbers(await storage.audit.list(b, { limit: 50, resourceId: r }))).toEqual([11]);
      expect(numbers(await storage.audit.list(b, { limit: 50, resourceId: v }))).toEqual([11]);
      expect(numbers(await storage.audit.list(b, { limit: 50, actorId: 'bob' }))).toEqual([12]);
    });

    it("names an account's actors many at a time, and only its own", async () => {
      const a = await account();
      const b = await account();
      const user = async (accountId: string, email: string) => {
        const id = newId();
        await storage.users.insert({
          id,
          accountId,
          email,
          passwordHash: 'h',
          role: 'member',
          createdAt: now,
          updatedAt: now,
        });
        return id;
      };
      const [alice, bob, eve] = [
        await user(a, 'alice@example.com'),
        await user(a, 'bob@example.com'),
        await user(b, 'eve@example.com'),
      ];
      const adminToken = async (accountId: string, name: string) => {
        const id = newId();
        await storage.adminTokens.insert({
          id,
          accountId,
          name,
          tokenHash: randomBytes(32),
          role: 'admin',
          createdAt: now,
          expiresAt: null,
          revokedAt: null,
          createdBy: null,
        });
        return id;
      };
      const [ci, other] = [await adminToken(a, 'ci'), await adminToken(b, 'other')];
      const server = async (accountId: string, name: string) => {
        const s = {
          id: newId(),
          accountId,
          name,
          secretHash: randomBytes(32),
          createdAt: now,
          publicKey: null,
        };
        await storage.connectServers.insert(s, []);
        return s.id;
      };
      const connectToken = async (accountId: string, serverId: string, name: string) => {
        const id = newId();
        await storage.connectTokens.insert({
          id,
          accountId,
          serverId,
          name,
          grants: [],
          signatureHash: randomBytes(32),
          createdAt: now,
          expiresAt: null,
          revokedAt: null,
        });
        return id;
      };
      const web = await connectToken(a, await server(a, 'prod'), 'web');
      const foreign = await connectToken(b, await server(b, 'theirs'), 'theirs');
      const client = async (accountId: string, name: string) => {
        const id = `kc-${newId()}`;
        await storage.clients.insert({
          id,
          accountId,
          name,
          authMethod: 'none',
          secretHash: null,
          jwks: null,
          redirectUris: ['https://app.example.com/cb'],
          grantTypes: ['authorization_code'],
          scopes: [],
          createdAt: now,
          dpopBoundAccessTokens: false,
          requirePushedRequests: false,
          fapi2SecurityProfile: false,
        });
        return id;
      };
      const [grafana, theirApp] = [await client(a, 'Grafana'), await client(b, 'Their app')];
      const oauthToken = async (accountId: string, clientId: string, userId: string) => {
        const id = newId();
        await storage.oauthTokens.insert({
          id,
          tokenHash: randomBytes(32),
          kind: 'access',
          accountId,
          clientId,
          userId,
          grantId: null,
          codeId: null,
          resource: 'urn:r',
          scopes: [],
          createdAt: now,
          expiresAt: '2999-01-01T00:00:00.000Z',
          revokedAt: null,
          rotatedAt: null,
          jkt: null,
        });
        return id;
      };
      const [at, theirs] = [await oauthToken(a, grafana, alice), await oauthToken(b, theirApp, eve)];
      const byId = <T extends { id: string }>(rows: T[]) =>
        [...rows].sort((x, y) => x.id.localeCompare(y.id));

      expect(byId(await storage.actors.users(a, [alice, bob, eve, alice, 'gone']))).toEqual(
        byId([
          { id: alice, email: 'alice@example.com' },
          { id: bob, email: 'bob@example.com' },
        ]),
      );
      expect(await storage.actors.adminTokens(a, [ci, other])).toEqual([
        { id: ci, name: 'ci', role: 'admin' },
      ]);
      expect(await storage.actors.connectTokens(a, [web, foreign])).toEqual([
        { id: web, name: 'web', serverName: 'prod' },
      ]);
      expect(await storage.actors.oauthClients(a, [grafana, theirApp])).toEqual([
        { id: grafana, name: 'Grafana' },
      ]);
      expect(await storage.actors.oauthTokens(a, [at, theirs])).toEqual([{ id: at, clientName: 'Grafana' }]);
      expect(await storage.actors.users(a, [])).toEqual([]);
      // More ids than one query binds are looked up in several.
      const many = [...Array.from({ length: 1200 }, () => newId()), bob];
      expect(await storage.actors.users(a, many)).toEqual([{ id: bob, email: 'bob@example.com' }]);

      await storage.users.delete(a, bob);
      expect(await storage.actors.users(a, [bob])).toEqual([]);
    });

    it('finds the newest event of each Connect token with one of these results, its account’s only', async () => {
      const a = await account();
      const b = await account();
      const [t1, t2, t3, t4] = [newId(), newId(), newId(), newId()];
      const used = (accountId: string, n: number, tokenId: string, e: Partial<AuditEventInput> = {}) =>
        storage.audit.append(
          event(accountId, n, { actorType: 'connect_token', actorId: tokenId, tokenId, ...e }),
        );
      await used(a, 1, t1);
      await used(a, 3, t1, { result: 'FAILURE' });
      await used(a, 2, t1);
      await used(a, 5, t1, { result: 'DENY' });
      await used(a, 4, t2);
      await used(a, 6, t2, { actorType: 'admin_token' });
      await used(a, 7, t3, { result: 'DENY' });
      await used(b, 9, t4);
      await used(b, 9, t1);
      const which = ['SUCCESS', 'FAILURE'] as const;
      const newest = await storage.audit.newestConnectTokenUses(a, [t1, t2, t3, t4, newId()], which);
      expect(newest).toEqual(
        new Map([
          [t1, '2026-01-03T12:00:00.000Z'],
          [t2, '2026-01-04T12:00:00.000Z'],
        ]),
      );
      expect(await storage.audit.newestConnectTokenUses(a, [], which)).toEqual(new Map());
      // More tokens than one query takes: each still answered.
      const many = Array.from({ length: 1203 }, () => newId());
      const found = await storage.audit.newestConnectTokenUses(a, [...many, t2], which);
      expect([...found.keys()]).toEqual([t2]);
    });
  });
}
