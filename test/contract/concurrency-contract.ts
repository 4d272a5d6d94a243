import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { Keyring } from '../../src/crypto/keyring.js';
import type { UserRole } from '../../src/domain/access/roles.js';
import { SigningKeys } from '../../src/domain/connect/signing-keys.js';
import { systemContext } from '../../src/domain/context.js';
import type { AuthorizationRequest } from '../../src/domain/oauth/authorization-request.js';
import { approve, type ConsentPlan } from '../../src/domain/oauth/consent.js';
import { requireGrantStillCovers } from '../../src/domain/oauth/grant-narrowed.js';
import { userService } from '../../src/domain/users/user-service.js';
import { isWriteConflict } from '../../src/storage/errors.js';
import type { DeviceCodeRecord, GrantRecord, OAuthTokenRecord, Storage } from '../../src/storage/ports.js';

/**
 * What must hold when several nodes write one database at once: every check-then-write of the
 * stores and services, run in parallel through several handles (`nodes(n)`: on PostgreSQL, n
 * pools on one database, as n central nodes are; on SQLite, whose database one process owns, that
 * process's one handle n times). SQLite runs one transaction at a time; on PostgreSQL
 * transactions run side by side under READ COMMITTED, and each test here fails there without the
 * conditional write, row hold or lock that makes its check hold.
 */
export function concurrencyContract(backend: string, nodes: (n: number) => Promise<Storage[]>): void {
  describe(`concurrency contract: ${backend}`, () => {
    const now = '2026-01-02T03:04:05.000Z';
    const later = '2999-01-01T00:00:00.000Z';
    const hash = () => createHash('sha256').update(newId()).digest();
    /** A new, unrevoked Connect token registration of server `serverId`. */
    const tokenOf = (accountId: string, serverId: string) => ({
      id: newId(),
      accountId,
      serverId,
      name: 'c',
      grants: [],
      signatureHash: hash(),
      createdAt: now,
      expiresAt: null,
      revokedAt: null,
    });
    let all: Storage[];
    /** Node `i` of the handles, round robin. */
    const node = (i: number) => all[i % all.length] as Storage;
    const first = () => node(0);

    beforeEach(async () => {
      all = await nodes(3);
      // Each node's connections made before the test (a pool makes them on demand), so that
      // the calls of a test meet in the database at once, not staggered by connection set-up.
      await Promise.all(
        all.flatMap((s) => [1, 2, 3, 4].map(() => s.transaction((tx) => tx.meta.get('warm')))),
      );
    });
    afterEach(async () => {
      await Promise.all(all.map((s) => s.close()));
    });

    const account = async () => {
      const id = newId();
      await first().accounts.insert({ id, name: 'Acme', createdAt: now });
      return id;
    };
    const user = async (accountId: string, role: UserRole = 'member') => {
      const id = newId();
      await first().users.insert({
        id,
        accountId,
        email: `${id}@example.com`,
        passwordHash: 'h',
        role,
        createdAt: now,
        updatedAt: now,
      });
      return id;
    };
    const oauthSetup = async () => {
      const accountId = await account();
      const userId = await user(accountId);
      const clientId = `kc-${newId()}`;
      await first().clients.insert({
        id: clientId,
        accountId,
        name: 'App',
        authMethod: 'none',
        secretHash: null,
        jwks: null,
        redirectUris: ['https://app.example.com/cb'],
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['notes:read', 'notes:write'],
        createdAt: now,
        dpopBoundAccessTokens: false,
        requirePushedRequests: false,
        fapi2SecurityProfile: false,
      });
      const grant: GrantRecord = {
        id: newId(),
        accountId,
        userId,
        clientId,
        resource: 'urn:notes',
        scopes: ['notes:read', 'notes:write'],
        createdAt: now,
        updatedAt: now,
      };
      await first().grants.insert(grant);
      return { accountId, userId, clientId, grant };
    };
    const token = (g: GrantRecord, overrides: Partial<OAuthTokenRecord> = {}): OAuthTokenRecord => ({
      id: newId(),
      tokenHash: hash(),
      kind: 'refresh',
      accountId: g.accountId,
      clientId: g.clientId,
      userId: g.userId,
      grantId: g.id,
      codeId: null,
      resource: g.resource,
      scopes: g.scopes,
      createdAt: now,
      expiresAt: later,
      revokedAt: null,
      rotatedAt: null,
      jkt: null,
      ...overrides,
    });
    /** Runs `n` calls at once, spread over the nodes; their outcomes in call order. */
    const atOnce = <T>(n: number, call: (storage: Storage, i: number) => Promise<T>) =>
      Promise.allSettled(Array.from({ length: n }, (_, i) => call(node(i), i)));
    const values = <T>(results: PromiseSettledResult<T>[]) =>
      results.map((r) => {
        if (r.status === 'rejected') throw r.reason;
        return r.value;
      });

    it('keeps an enabled owner when every owner is demoted, disabled or deleted at once on several nodes', async () => {
      for (let round = 0; round < 6; round++) {
        const accountId = await account();
        const owners = await Promise.all([1, 2, 3, 4].map(() => user(accountId, 'owner')));
        const ctx = systemContext(accountId);
        const users = (i: number) => userService(node(i), { pagesBase: () => 'https://keyhold.test' });
        const [a, b, c, d] = owners as [string, string, string, string];
        const results = await Promise.allSettled([
          users(0).setRole(ctx, a, 'member'),
          users(1).disable(ctx, b),
          users(2).delete(ctx, c),
          users(3).setRole(ctx, d, 'admin'),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
        const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
        expect(refused.map((e) => [e.status, e.code])).toEqual([[409, 'last_owner']]);
        expect(await first().users.countEnabledOwners(accountId)).toBe(1);
      }
    });

    it('creates a user once when several nodes create the same email at once; the others are told 409 email_taken', async () => {
      const accountId = await account();
      const ctx = systemContext(accountId);
      const results = await atOnce(6, (storage) =>
        userService(storage, { pagesBase: () => 'https://keyhold.test' }).create(ctx, {
          email: 'same@example.com',
          role: 'member',
          password: 'correct horse battery staple',
        }),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(refused.map((e) => [e.status, e.code])).toEqual(Array(5).fill([409, 'email_taken']));
      expect((await first().users.list(accountId)).map((u) => u.email)).toEqual(['same@example.com']);
    });

    it('takes turns on a locked account: read-then-write transactions on several nodes lose no write', async () => {
      const accountId = await account();
      const key = `counter-${accountId}`;
      await first().meta.insert(key, '0');
      const results = await atOnce(8, (storage) =>
        storage.transaction(async (tx) => {
          expect(await tx.accounts.lock(accountId)).toBe(true);
          const n = Number(await tx.meta.get(key));
          await tx.meta.delete(key);
          await tx.meta.insert(key, String(n + 1));
        }),
      );
      values(results);
      expect(await first().meta.get(key)).toBe('8');
      expect(await first().accounts.lock(newId())).toBe(false);
    });

    it('takes turns on a user held for update: read-then-write transactions on several nodes lose no write', async () => {
      const accountId = await account();
      const userId = await user(accountId);
      const results = await atOnce(8, (storage) =>
        storage.transaction(async (tx) => {
          const u = await tx.users.get(accountId, userId, 'update');
          const n = Number(u?.updatedAt === now ? 0 : u?.updatedAt);
          await tx.users.update(accountId, userId, { updatedAt: String(n + 1) });
        }),
      );
      values(results);
      expect((await first().users.get(accountId, userId))?.updatedAt).toBe('8');
    });

    it('keeps a narrowing of a grant waiting while a redemption holds it, then narrows what the redemption registered', async () => {
      const { accountId, grant } = await oauthSetup();
      const [redeeming, consenting] = [node(0), node(1)];
      let narrowing: Promise<unknown> = Promise.resolve();
      const registered = token(grant);
      await redeeming.transaction(async (tx) => {
        // The redemption's check, holding the grant: it still covers both scopes.
        await requireGrantStillCovers(tx, accountId, grant.id, grant.scopes);
        // Meanwhile another node narrows the grant to one scope (a consent unticking the other).
        narrowing = consenting.transaction(async (other) => {
          await other.grants.updateScopes(grant.id, ['notes:read'], now);
          await other.oauthTokens.narrowByGrant(grant.id, ['notes:read'], now);
        });
        await new Promise((resolve) => setTimeout(resolve, 150));
        await tx.oauthTokens.insert(registered);
      });
      await narrowing;
      expect((await first().grants.get(accountId, grant.id))?.scopes).toEqual(['notes:read']);
      // Registered with both scopes, then narrowed: nothing outlives the consent with more.
      expect((await first().oauthTokens.findByHash(registered.tokenHash))?.scopes).toEqual(['notes:read']);
    });

    it('decides consents of one user one at a time across nodes: two pages approved at once keep both choices', async () => {
      for (let round = 0; round < 3; round++) {
        const { accountId, userId, clientId, grant } = await oauthSetup();
        await first().grants.updateScopes(grant.id, ['notes:other'], now);
        const client = await first().clients.findById(clientId);
        const request = {
          client,
          redirectUri: 'https://app.example.com/cb',
          codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          resource: { identifier: grant.resource },
          grantAction: null,
          dpopJkt: null,
        } as unknown as AuthorizationRequest;
        // Two consent pages, each offering one scope; each replaces only what it offered.
        const page = (scope: string): ConsentPlan => ({
          items: [
            {
              requested: scope,
              description: scope,
              options: [{ scope, label: scope }],
              granted: [],
              ticked: [],
            },
          ],
          grant: undefined,
          needed: true,
        });
        const userCtx = {
          ...systemContext(accountId),
          actor: { type: 'user' as const, id: userId, accountId, tokenId: null },
        };
        const signedIn = { authTime: now, amr: ['pwd'] };
        values(
          await Promise.allSettled([
            approve(node(0), userCtx, request, page('notes:read'), ['notes:read'], signedIn),
            approve(node(1), userCtx, request, page('notes:write'), ['notes:write'], signedIn),
          ]),
        );
        const after = await first().grants.find(userId, clientId, grant.resource);
        expect([...(after?.scopes ?? [])].sort()).toEqual(['notes:other', 'notes:read', 'notes:write']);
      }
    });

    it('keeps a disable on another node waiting while a sign-in holds the user, then sweeps the session it opened', async () => {
      const accountId = await account();
      const userId = await user(accountId);
      const session = {
        id: newId(),
        secretHash: hash(),
        accountId,
        userId,
        csrfToken: 'csrf',
        createdAt: now,
        expiresAt: later,
      };
      let disabling: Promise<unknown> = Promise.resolve();
      await node(0).transaction(async (tx) => {
        // The sign-in's check, holding the user: still enabled.
        expect((await tx.users.get(accountId, userId, 'share'))?.disabledAt).toBeNull();
        disabling = node(1).transaction(async (other) => {
          await other.users.update(accountId, userId, { disabledAt: now, updatedAt: now });
          await other.loginSessions.deleteForUser(userId);
        });
        await new Promise((resolve) => setTimeout(resolve, 150));
        await tx.loginSessions.insert(session);
      });
      await disabling;
      expect((await first().users.get(accountId, userId))?.disabledAt).toBe(now);
      expect(await first().loginSessions.findByHash(session.secretHash)).toBeUndefined();
    });

    it('consumes an authorization code once across nodes', async () => {
      const { accountId, userId, clientId, grant } = await oauthSetup();
      const code = {
        id: newId(),
        codeHash: hash(),
        accountId,
        clientId,
        userId,
        grantId: grant.id,
        redirectUri: 'https://app.example.com/cb',
        resource: grant.resource,
        scopes: grant.scopes,
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        createdAt: now,
        expiresAt: later,
      };
      await first().authorizationCodes.insert(code);
      const used = values(
        await atOnce(8, (s) => s.transaction((tx) => tx.authorizationCodes.consume(code.id, now))),
      );
      expect(used.filter(Boolean)).toHaveLength(1);
    });

    it('rotates a refresh token once across nodes', async () => {
      const { grant } = await oauthSetup();
      const refresh = token(grant);
      await first().oauthTokens.insert(refresh);
      const rotated = values(
        await atOnce(8, (s) => s.transaction((tx) => tx.oauthTokens.rotate(refresh.id, now))),
      );
      expect(rotated.filter(Boolean)).toHaveLength(1);
    });

    it('consumes a pushed authorization request once across nodes', async () => {
      const { accountId, clientId } = await oauthSetup();
      const pushed = {
        id: newId(),
        uriHash: hash(),
        accountId,
        clientId,
        parameters: 'response_type=code',
        createdAt: now,
        expiresAt: later,
        openedAt: null,
        consumedAt: null,
      };
      await first().pushedRequests.insert(pushed);
      const consumed = values(
        await atOnce(8, (s, i) =>
          i % 2 === 0
            ? s.pushedRequests.consume(pushed.id, now)
            : s.transaction((tx) => tx.pushedRequests.consume(pushed.id, now)),
        ),
      );
      expect(consumed.filter(Boolean)).toHaveLength(1);
    });

    it('moves a device code on once across nodes, and lets one poll per interval through', async () => {
      const { accountId, userId, clientId, grant } = await oauthSetup();
      const code: DeviceCodeRecord = {
        id: newId(),
        deviceCodeHash: hash(),
        userCodeHash: hash(),
        accountId,
        clientId,
        resource: grant.resource,
        scopes: grant.scopes,
        status: 'pending',
        userId: null,
        grantId: null,
        interval: 5,
        lastPolledAt: null,
        createdAt: now,
        expiresAt: later,
      };
      await first().deviceCodes.insert(code);
      const polls = values(await atOnce(6, (s) => s.deviceCodes.poll(code.id, 1_000_000)));
      expect(polls.filter((p) => p === 'ok')).toHaveLength(1);
      const decided = values(
        await atOnce(6, (s, i) =>
          i % 2 === 0 ? s.deviceCodes.approve(code.id, userId, grant.id) : s.deviceCodes.deny(code.id),
        ),
      );
      expect(decided.filter(Boolean)).toHaveLength(1);
      const status = (await first().deviceCodes.findByDeviceCodeHash(code.deviceCodeHash))?.status;
      const consumed = values(await atOnce(6, (s) => s.deviceCodes.consume(code.id)));
      expect(consumed.filter(Boolean)).toHaveLength(status === 'approved' ? 1 : 0);
    });

    it('keeps only one of the reset links made at once on several nodes, and uses it once', async () => {
      const accountId = await account();
      const userId = await user(accountId);
      const resets = Array.from({ length: 6 }, () => ({
        id: newId(),
        secretHash: hash(),
        accountId,
        userId,
        createdAt: now,
        expiresAt: later,
        usedAt: null,
      }));
      values(await atOnce(6, (s, i) => s.transaction((tx) => tx.passwordResets.replace(resets[i] as never))));
      const left = [];
      for (const r of resets) if (await first().passwordResets.findByHash(r.secretHash)) left.push(r);
      expect(left).toHaveLength(1);
      const id = (left[0] as (typeof resets)[number]).id;
      const used = values(await atOnce(6, (s) => s.passwordResets.markUsed(id, now)));
      expect(used.filter(Boolean)).toHaveLength(1);
    });

    it('bounds the attempts at a second step, spends a recovery code and accepts a time step once, across nodes', async () => {
      const accountId = await account();
      const userId = await user(accountId);
      const challenge = {
        id: newId(),
        secretHash: hash(),
        accountId,
        userId,
        purpose: 'verify' as const,
        csrfToken: 'csrf',
        attempts: 0,
        createdAt: now,
        expiresAt: later,
      };
      await first().mfaChallenges.insert(challenge);
      const counted = values(await atOnce(9, (s) => s.mfaChallenges.countAttempt(challenge.id, 4)));
      expect(counted.filter(Boolean)).toHaveLength(4);
      const taken = values(await atOnce(4, (s) => s.mfaChallenges.delete(challenge.id)));
      expect(taken.filter(Boolean)).toHaveLength(1);

      const secret = Buffer.from('sealed secret');
      await first().totp.putPending({
        userId,
        accountId,
        secret,
        enabled: false,
        lastStep: -1,
        createdAt: now,
        enabledAt: null,
        pendingFor: 'session:s',
      });
      const codes = [Buffer.from('r1'), Buffer.from('r2')];
      const enabled = values(
        await atOnce(4, (s) =>
          s.transaction((tx) => tx.totp.enable(userId, secret, 'session:s', 10, codes, now)),
        ),
      );
      expect(enabled.filter(Boolean)).toHaveLength(1);
      expect(await first().totp.unusedRecoveryCodes(userId)).toBe(2);
      const spent = values(await atOnce(6, (s) => s.totp.useRecoveryCode(userId, Buffer.from('r1'), now)));
      expect(spent.filter(Boolean)).toHaveLength(1);
      const steps = values(await atOnce(6, (s) => s.totp.acceptStep(userId, 11)));
      expect(steps.filter(Boolean)).toHaveLength(1);
    });

    it('lets exactly the free login attempts through across nodes, alone or in transactions', async () => {
      const key = { key: hash(), free: 5, forgetAfterMs: 60_000 };
      const other = { key: hash(), free: 7, forgetAfterMs: 60_000 };
      const results = values(
        await atOnce(30, (s, i) =>
          i % 2 === 0
            ? s.loginAttempts.reserve([key, other], [1000], 1_000_000)
            : s.transaction((tx) => tx.loginAttempts.reserve([other, key], [1000], 1_000_000)),
        ),
      );
      expect(results.filter((r) => r.reserved)).toHaveLength(5);
    });

    it('revokes an admin token and a Connect token once across nodes', async () => {
      const accountId = await account();
      const adminToken = {
        id: newId(),
        accountId,
        name: 't',
        tokenHash: hash(),
        role: 'owner' as const,
        createdAt: now,
        expiresAt: null,
        revokedAt: null,
        createdBy: null,
      };
      await first().adminTokens.insert(adminToken);
      const revoked = values(await atOnce(6, (s) => s.adminTokens.revoke(accountId, adminToken.id, now)));
      expect(revoked.filter(Boolean)).toHaveLength(1);

      const serverId = newId();
      await first().connectServers.insert(
        { id: serverId, accountId, name: 's', secretHash: hash(), createdAt: now, publicKey: null },
        [],
      );
      const connectToken = tokenOf(accountId, serverId);
      await first().connectTokens.insert(connectToken);
      const ended = values(await atOnce(6, (s) => s.connectTokens.revoke(accountId, connectToken.id, now)));
      expect(ended.filter(Boolean)).toHaveLength(1);
    });

    it('refuses a write that refers to a row another node has just deleted as a write conflict', async () => {
      // A service checks that the server is there, then (after signing, say) writes its token;
      // meanwhile another node deletes the server. The write must fail as a conflict (409: try
      // again, and meet the deletion), not as an unclassified constraint error (500).
      const accountId = await account();
      const serverId = newId();
      await first().connectServers.insert(
        { id: serverId, accountId, name: 's', secretHash: hash(), createdAt: now, publicKey: null },
        [],
      );
      expect(await node(1).connectServers.get(accountId, serverId)).toBeDefined();
      expect(await node(0).connectServers.delete(accountId, serverId)).toBe(true);
      const write = node(1).transaction((tx) => tx.connectTokens.insert(tokenOf(accountId, serverId)));
      const error = await write.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeDefined();
      expect(isWriteConflict(error)).toBe(true);
    });

    it('sets a user’s access to a vault from several nodes at once: each set applies whole, none fails', async () => {
      const accountId = await account();
      const userId = await user(accountId);
      const vaultId = newId();
      await first().vaults.insert({
        id: vaultId,
        accountId,
        wrappedKey: Buffer.from('k'),
        attributes: Buffer.from('a'),
        type: 'USER_CREATED',
        attributeVersion: 1,
        contentVersion: 1,
        createdAt: now,
        updatedAt: now,
      });
      const sets = [
        ['read'],
        ['read', 'write'],
        ['manage'],
        ['read', 'manage'],
        ['write'],
        ['read'],
      ] as const;
      values(
        await atOnce(6, (s, i) =>
          s.transaction((tx) => tx.vaultAccess.set({ vaultId, userId, permissions: [...(sets[i] ?? [])] })),
        ),
      );
      const access = await first().vaultAccess.listForVault(vaultId);
      expect(access).toHaveLength(1);
      expect(sets.map((p) => p.join(','))).toContain(access[0]?.permissions.join(','));
      // Revoked at once on several nodes: once; the others are told there was nothing to revoke.
      const ctx = systemContext(accountId);
      const revoked = await atOnce(4, (s) =>
        userService(s, { pagesBase: () => 'https://keyhold.test' }).revokeVault(ctx, userId, vaultId),
      );
      expect(revoked.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = revoked.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(refused.map((e) => [e.status, e.code])).toEqual(Array(3).fill([404, 'not_found']));
      expect(await first().vaultAccess.listForVault(vaultId)).toEqual([]);
    });

    it('rotates an account’s signing key from several nodes at once: every rotation applies, one key stays current', async () => {
      const accountId = await account();
      const keyring = new Keyring(Buffer.alloc(32, 7));
      const ctx = systemContext(accountId);
      await first().transaction((tx) =>
        new SigningKeys(first(), keyring).create(accountId, 'connect', tx, ctx),
      );
      values(
        await atOnce(4, (s) =>
          s.transaction((tx) => new SigningKeys(s, keyring).create(accountId, 'connect', tx, ctx)),
        ),
      );
      const keys = await first().signingKeys.list(accountId);
      expect(keys).toHaveLength(5);
      expect(keys.filter((k) => k.retiredAt === null)).toHaveLength(1);
    });
  });
}
