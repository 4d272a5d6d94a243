import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import type {
  AuditEventInput,
  AuthorizationCodeRecord,
  ClientRecord,
  ConnectTokenRecord,
  DeviceCodeRecord,
  GrantRecord,
  LoginSessionRecord,
  OAuthTokenRecord,
  PushedRequestRecord,
  ResourceServerRecord,
  ScopeRecord,
  Storage,
  VaultAuthorizationDetail,
} from '../../src/storage/ports.js';

/**
 * The storage contract of the OAuth authorization server's stores (`ports/oauth.ts`): the scope
 * catalog, clients, grants, codes, tokens and login sessions, and what deleting each owner takes
 * with it. Every backend runs it against a real database, like `storageContract`.
 */
export function oauthStorageContract(backend: string, open: () => Promise<Storage>): void {
  describe(`OAuth storage contract: ${backend}`, () => {
    let storage: Storage;
    const now = '2026-01-02T03:04:05.000Z';
    const later = '2026-01-02T04:00:00.000Z';
    /** A distinct 32-byte hash per call, like the SHA-256 of a fresh secret. */
    const hash = () => createHash('sha256').update(newId()).digest();

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
    const user = async (accountId: string) => {
      const id = newId();
      await storage.users.insert({
        id,
        accountId,
        email: `${id}@example.com`,
        passwordHash: 'h',
        role: 'member',
        createdAt: now,
        updatedAt: now,
      });
      return id;
    };
    const resourceServer = async (
      accountId: string,
      identifier = `https://${newId()}.example.com`,
      scopeNames: string[] = ['notes:read', 'notes:write'],
      createdAt = now,
    ) => {
      const server: ResourceServerRecord = {
        id: newId(),
        accountId,
        identifier,
        name: 'Notes',
        tokenFormat: 'jwt',
        accessTokenTtl: 600,
        secretHash: hash(),
        createdAt,
      };
      const scopes: ScopeRecord[] = scopeNames.map((name, n) => ({
        accountId,
        name,
        resourceServerId: server.id,
        description: `Scope ${name}`,
        exclusive: n === 1,
        createdAt: now,
      }));
      await storage.resourceServers.insert(server, scopes);
      return { server, scopes };
    };
    const client = async (accountId: string, overrides: Partial<ClientRecord> = {}) => {
      const c: ClientRecord = {
        id: `kc-${newId()}`,
        accountId,
        name: 'Notes app',
        authMethod: 'client_secret_basic',
        secretHash: hash(),
        jwks: null,
        redirectUris: ['https://app.example.com/cb', 'http://127.0.0.1/cb'],
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['notes:read', 'vault:*:read'],
        createdAt: now,
        dpopBoundAccessTokens: false,
        requirePushedRequests: false,
        fapi2SecurityProfile: false,
        ...overrides,
      };
      await storage.clients.insert(c);
      return c;
    };
    const grant = async (accountId: string, userId: string, clientId: string, resource = 'urn:r') => {
      const g: GrantRecord = {
        id: newId(),
        accountId,
        userId,
        clientId,
        resource,
        scopes: ['notes:read'],
        createdAt: now,
        updatedAt: now,
      };
      await storage.grants.insert(g);
      return g;
    };
    const code = async (g: GrantRecord) => {
      const c: AuthorizationCodeRecord = {
        id: newId(),
        codeHash: hash(),
        accountId: g.accountId,
        clientId: g.clientId,
        userId: g.userId,
        grantId: g.id,
        redirectUri: 'https://app.example.com/cb',
        resource: g.resource,
        scopes: g.scopes,
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        createdAt: now,
        expiresAt: later,
      };
      await storage.authorizationCodes.insert(c);
      return c;
    };
    const token = async (
      base: { accountId: string; clientId: string },
      overrides: Partial<OAuthTokenRecord> = {},
    ) => {
      const t: OAuthTokenRecord = {
        id: newId(),
        tokenHash: hash(),
        kind: 'access',
        accountId: base.accountId,
        clientId: base.clientId,
        userId: null,
        grantId: null,
        codeId: null,
        resource: 'urn:r',
        scopes: ['notes:read'],
        createdAt: now,
        expiresAt: later,
        revokedAt: null,
        rotatedAt: null,
        jkt: null,
        ...overrides,
      };
      await storage.oauthTokens.insert(t);
      return t;
    };
    /** An access and a refresh token descending from a code of the grant. */
    const userTokens = async (g: GrantRecord, c: AuthorizationCodeRecord) => {
      const links = { userId: g.userId, grantId: g.id, codeId: c.id, resource: g.resource };
      return [
        await token(g, { ...links, kind: 'access' }),
        await token(g, { ...links, kind: 'refresh' }),
      ] as const;
    };
    const session = async (accountId: string, userId: string) => {
      const s: LoginSessionRecord = {
        id: newId(),
        secretHash: hash(),
        accountId,
        userId,
        csrfToken: `csrf_${newId()}`,
        createdAt: now,
        expiresAt: later,
      };
      await storage.loginSessions.insert(s);
      return s;
    };
    /** Everything one user's sign-in and one grant leave behind. */
    const everything = async () => {
      const accountId = await account();
      const userId = await user(accountId);
      const { server } = await resourceServer(accountId);
      const c = await client(accountId);
      const g = await grant(accountId, userId, c.id, server.identifier);
      const authCode = await code(g);
      const [access, refresh] = await userTokens(g, authCode);
      const appToken = await token({ accountId, clientId: c.id });
      const s = await session(accountId, userId);
      return {
        accountId,
        userId,
        server,
        client: c,
        grant: g,
        code: authCode,
        access,
        refresh,
        appToken,
        session: s,
      };
    };
    type Everything = Awaited<ReturnType<typeof everything>>;
    const gone = async (e: Everything, what: { tokens?: OAuthTokenRecord[]; code?: boolean }) => {
      for (const t of what.tokens ?? [])
        expect(await storage.oauthTokens.findByHash(t.tokenHash)).toBeUndefined();
      if (what.code) expect(await storage.authorizationCodes.findByHash(e.code.codeHash)).toBeUndefined();
    };

    describe('resource servers and scopes', () => {
      it('stores a resource server with its scopes and finds it by id, identifier and secret hash', async () => {
        const accountId = await account();
        const { server, scopes } = await resourceServer(accountId, 'https://notes.example.com');
        expect(await storage.resourceServers.get(accountId, server.id)).toEqual(server);
        expect(
          await storage.resourceServers.findByIdentifier(accountId, 'https://notes.example.com'),
        ).toEqual(server);
        expect(await storage.resourceServers.findBySecretHash(server.secretHash)).toEqual(server);
        expect(await storage.resourceServers.findBySecretHash(hash())).toBeUndefined();
        expect(await storage.resourceServers.list(accountId)).toEqual([server]);
        expect(await storage.resourceServers.scopes(accountId)).toEqual(scopes);
        expect((await storage.resourceServers.scopes(accountId)).map((s) => s.exclusive)).toEqual([
          false,
          true,
        ]);
      });

      it('keeps resource servers, identifiers and scopes apart between accounts', async () => {
        const a = await account();
        const b = await account();
        const { server } = await resourceServer(a, 'https://shared.example.com');
        expect(await storage.resourceServers.get(b, server.id)).toBeUndefined();
        expect(await storage.resourceServers.findByIdentifier(b, server.identifier)).toBeUndefined();
        expect(await storage.resourceServers.list(b)).toEqual([]);
        expect(await storage.resourceServers.scopes(b)).toEqual([]);
        // The same identifier and scope names may be registered in another account.
        const inB = await resourceServer(b, 'https://shared.example.com');
        expect(await storage.resourceServers.findByIdentifier(b, server.identifier)).toEqual(inB.server);
      });

      it('lists servers in creation order and scopes by name', async () => {
        const accountId = await account();
        const first = await resourceServer(accountId, 'https://b.example.com', ['zeta:read'], now);
        const second = await resourceServer(accountId, 'https://a.example.com', ['alpha:read'], later);
        const third = await resourceServer(
          accountId,
          'https://c.example.com',
          ['mid:read'],
          '2026-01-01T00:00:00.000Z',
        );
        expect((await storage.resourceServers.list(accountId)).map((s) => s.identifier)).toEqual([
          third.server.identifier,
          first.server.identifier,
          second.server.identifier,
        ]);
        expect((await storage.resourceServers.scopes(accountId)).map((s) => s.name)).toEqual([
          'alpha:read',
          'mid:read',
          'zeta:read',
        ]);
      });

      it('lists scope names in byte order, whatever the database collates text by', async () => {
        const accountId = await account();
        // Case and punctuation are where a language's collation and byte order part ways.
        const names = [
          'notes_a:read',
          'Vault:Read',
          'notes-a:read',
          'vault:read',
          'notes.a:read',
          'notesa:read',
        ];
        await resourceServer(accountId, 'https://n.example.com', names);
        expect((await storage.resourceServers.scopes(accountId)).map((s) => s.name)).toEqual([
          'Vault:Read',
          'notes-a:read',
          'notes.a:read',
          'notes_a:read',
          'notesa:read',
          'vault:read',
        ]);
      });

      it('stores a resource server without scopes', async () => {
        const accountId = await account();
        const { server } = await resourceServer(accountId, 'https://bare.example.com', []);
        expect(await storage.resourceServers.list(accountId)).toEqual([server]);
        expect(await storage.resourceServers.scopes(accountId)).toEqual([]);
      });

      it('refuses a second resource server with the same identifier in an account', async () => {
        const accountId = await account();
        await resourceServer(accountId, 'https://notes.example.com', ['notes:read']);
        await expect(
          resourceServer(accountId, 'https://notes.example.com', ['other:read']),
        ).rejects.toThrow();
        expect(await storage.resourceServers.list(accountId)).toHaveLength(1);
      });

      it('refuses a scope name registered twice in an account', async () => {
        const accountId = await account();
        await resourceServer(accountId, 'https://one.example.com', ['notes:read']);
        const id = newId();
        const second: ResourceServerRecord = {
          id,
          accountId,
          identifier: 'https://two.example.com',
          name: 'Two',
          tokenFormat: 'opaque',
          accessTokenTtl: 60,
          secretHash: hash(),
          createdAt: now,
        };
        const clash: ScopeRecord = {
          accountId,
          name: 'notes:read',
          resourceServerId: id,
          description: 'd',
          exclusive: false,
          createdAt: now,
        };
        await expect(
          storage.transaction((tx) => tx.resourceServers.insert(second, [clash])),
        ).rejects.toThrow();
        // Inside a transaction the server and its scopes land together or not at all.
        expect(
          await storage.resourceServers.findByIdentifier(accountId, 'https://two.example.com'),
        ).toBeUndefined();
      });

      it('deleting a resource server deletes its scopes and reports whether it existed', async () => {
        const accountId = await account();
        const kept = await resourceServer(accountId, 'https://kept.example.com', ['kept:read']);
        const { server } = await resourceServer(accountId, 'https://gone.example.com', [
          'gone:read',
          'gone:write',
        ]);
        expect(await storage.resourceServers.delete(accountId, server.id)).toBe(true);
        expect(await storage.resourceServers.delete(accountId, server.id)).toBe(false);
        expect(await storage.resourceServers.get(accountId, server.id)).toBeUndefined();
        expect(await storage.resourceServers.findBySecretHash(server.secretHash)).toBeUndefined();
        expect(await storage.resourceServers.scopes(accountId)).toEqual(kept.scopes);
      });

      it('does not delete a resource server through another account', async () => {
        const a = await account();
        const b = await account();
        const { server } = await resourceServer(a);
        expect(await storage.resourceServers.delete(b, server.id)).toBe(false);
        expect(await storage.resourceServers.get(a, server.id)).toEqual(server);
      });
    });

    describe('clients', () => {
      it('stores confidential, public and private_key_jwt clients exactly', async () => {
        const accountId = await account();
        const confidential = await client(accountId);
        const pub = await client(accountId, { authMethod: 'none', secretHash: null, scopes: [] });
        const jwt = await client(accountId, {
          authMethod: 'private_key_jwt',
          secretHash: null,
          jwks: '{"keys":[]}',
          redirectUris: [],
          grantTypes: ['client_credentials'],
        });
        const dpop = await client(accountId, { dpopBoundAccessTokens: true });
        const par = await client(accountId, { requirePushedRequests: true });
        const fapi = await client(accountId, {
          authMethod: 'private_key_jwt',
          secretHash: null,
          jwks: '{"keys":[]}',
          dpopBoundAccessTokens: true,
          requirePushedRequests: true,
          fapi2SecurityProfile: true,
        });
        for (const c of [confidential, pub, jwt, dpop, par, fapi])
          expect(await storage.clients.findById(c.id)).toEqual(c);
        expect((await storage.clients.list(accountId)).map((c) => c.id).sort()).toEqual(
          [confidential.id, pub.id, jwt.id, dpop.id, par.id, fapi.id].sort(),
        );
        expect(await storage.clients.findById(`kc-${newId()}`)).toBeUndefined();
      });

      it('keeps clients apart between accounts and deletes one once', async () => {
        const a = await account();
        const b = await account();
        const c = await client(a);
        expect(await storage.clients.list(b)).toEqual([]);
        expect(await storage.clients.delete(b, c.id)).toBe(false);
        expect(await storage.clients.findById(c.id)).toEqual(c);
        expect(await storage.clients.delete(a, c.id)).toBe(true);
        expect(await storage.clients.delete(a, c.id)).toBe(false);
        expect(await storage.clients.findById(c.id)).toBeUndefined();
        expect(await storage.clients.list(a)).toEqual([]);
      });

      it('replaces a client’s secret hash within its account only', async () => {
        const a = await account();
        const b = await account();
        const c = await client(a);
        const fresh = hash();
        expect(await storage.clients.replaceSecret(b, c.id, fresh)).toBe(false);
        expect((await storage.clients.findById(c.id))?.secretHash).toEqual(c.secretHash);
        expect(await storage.clients.replaceSecret(a, c.id, fresh)).toBe(true);
        expect(await storage.clients.findById(c.id)).toEqual({ ...c, secretHash: fresh });
        expect(await storage.clients.replaceSecret(a, `kc-${newId()}`, fresh)).toBe(false);
      });

      it('refuses a duplicate client id', async () => {
        const accountId = await account();
        const c = await client(accountId);
        await expect(client(accountId, { id: c.id })).rejects.toThrow();
      });
    });

    describe('grants', () => {
      it('stores a grant and finds it by id and by user, client and resource', async () => {
        const accountId = await account();
        const userId = await user(accountId);
        const c = await client(accountId);
        const g = await grant(accountId, userId, c.id, 'https://notes.example.com');
        expect(await storage.grants.get(accountId, g.id)).toEqual(g);
        expect(await storage.grants.get(await account(), g.id)).toBeUndefined();
        expect(await storage.grants.find(userId, c.id, 'https://notes.example.com')).toEqual(g);
        expect(await storage.grants.find(userId, c.id, 'https://other.example.com')).toBeUndefined();
      });

      it('keeps one grant per user, client and resource', async () => {
        const accountId = await account();
        const userId = await user(accountId);
        const c = await client(accountId);
        await grant(accountId, userId, c.id, 'urn:r');
        await expect(grant(accountId, userId, c.id, 'urn:r')).rejects.toThrow();
        // Another resource, client or user is another grant.
        await grant(accountId, userId, c.id, 'urn:other');
        await grant(accountId, userId, (await client(accountId)).id, 'urn:r');
        await grant(accountId, await user(accountId), c.id, 'urn:r');
        expect(await storage.grants.listForAccount(accountId)).toHaveLength(4);
      });

      it('replaces a grant’s scopes', async () => {
        const accountId = await account();
        const userId = await user(accountId);
        const c = await client(accountId);
        const g = await grant(accountId, userId, c.id);
        await storage.grants.updateScopes(g.id, ['notes:read', 'notes:write'], later);
        expect(await storage.grants.get(accountId, g.id)).toEqual({
          ...g,
          scopes: ['notes:read', 'notes:write'],
          updatedAt: later,
        });
      });

      it('keeps the authorization details of a grant, a code and a token (RFC 9396), and replaces them', async () => {
        const e = await everything();
        const details: VaultAuthorizationDetail[] = [
          {
            type: 'keyhold_vault',
            vaults: [newId()],
            items: [newId(), newId()],
            fields: ['password', 'notesPlain'],
            actions: ['read'],
          },
          { type: 'keyhold_vault', vaults: [newId(), newId()], actions: ['read', 'write'] },
        ];
        const detailed = await grant(e.accountId, await user(e.accountId), e.client.id);
        await storage.grants.updateAuthorizationDetails(detailed.id, details);
        expect(await storage.grants.get(e.accountId, detailed.id)).toEqual({
          ...detailed,
          authorizationDetails: details,
        });
        expect((await storage.grants.listForAccount(e.accountId)).find((g) => g.id === detailed.id)).toEqual({
          ...detailed,
          authorizationDetails: details,
        });
        await storage.grants.updateAuthorizationDetails(detailed.id, null);
        expect(await storage.grants.get(e.accountId, detailed.id)).toEqual(detailed);
        const inserted = {
          ...detailed,
          id: newId(),
          userId: await user(e.accountId),
          authorizationDetails: details,
        };
        await storage.grants.insert(inserted);
        expect(await storage.grants.get(e.accountId, inserted.id)).toEqual(inserted);
        const c = { ...e.code, id: newId(), codeHash: hash(), authorizationDetails: details };
        await storage.authorizationCodes.insert(c);
        expect(await storage.authorizationCodes.findById(c.id)).toEqual({ ...c, consumedAt: null });
        const t = await token(e.grant, {
          userId: e.userId,
          grantId: e.grant.id,
          authorizationDetails: details,
        });
        expect(await storage.oauthTokens.findByHash(t.tokenHash)).toEqual(t);
        // Without details, none come back: not an empty list.
        expect(await storage.oauthTokens.findByHash(e.access.tokenHash)).not.toHaveProperty(
          'authorizationDetails',
        );
        expect(await storage.grants.get(e.accountId, e.grant.id)).not.toHaveProperty('authorizationDetails');
      });

      it('lists a user’s grants and an account’s grants', async () => {
        const a = await account();
        const b = await account();
        const alice = await user(a);
        const bob = await user(a);
        const c = await client(a);
        const g1 = await grant(a, alice, c.id, 'urn:one');
        const g2 = await grant(a, alice, c.id, 'urn:two');
        const g3 = await grant(a, bob, c.id, 'urn:one');
        const sorted = (gs: GrantRecord[]) => gs.map((g) => g.id).sort();
        expect(sorted(await storage.grants.listForUser(a, alice))).toEqual(sorted([g1, g2]));
        expect(await storage.grants.listForUser(a, bob)).toEqual([g3]);
        expect(await storage.grants.listForUser(b, alice)).toEqual([]);
        expect(sorted(await storage.grants.listForAccount(a))).toEqual(sorted([g1, g2, g3]));
        expect(await storage.grants.listForAccount(b)).toEqual([]);
      });

      it('deletes every grant of a user with its codes and tokens, and nobody else’s', async () => {
        const e = await everything();
        const other = await user(e.accountId);
        const theirs = await grant(e.accountId, other, e.client.id, e.server.identifier);
        expect(await storage.grants.deleteForUser(e.accountId, e.userId)).toBe(1);
        expect(await storage.grants.get(e.accountId, e.grant.id)).toBeUndefined();
        await gone(e, { tokens: [e.access, e.refresh], code: true });
        expect(await storage.grants.get(e.accountId, theirs.id)).toEqual(theirs);
        expect(await storage.oauthTokens.findByHash(e.appToken.tokenHash)).toEqual(e.appToken);
        // Another account's id names nothing.
        expect(await storage.grants.deleteForUser(await account(), other)).toBe(0);
      });

      it('refuses a grant for a user or client that does not exist', async () => {
        const accountId = await account();
        const userId = await user(accountId);
        const c = await client(accountId);
        await expect(grant(accountId, newId(), c.id)).rejects.toThrow();
        await expect(grant(accountId, userId, `kc-${newId()}`)).rejects.toThrow();
      });
    });

    describe('authorization codes', () => {
      it('stores a code, finds it by hash, and consumes it exactly once', async () => {
        const e = await everything();
        expect(await storage.authorizationCodes.findByHash(e.code.codeHash)).toEqual({
          ...e.code,
          consumedAt: null,
        });
        expect(await storage.authorizationCodes.findByHash(hash())).toBeUndefined();
        expect(await storage.authorizationCodes.consume(e.code.id, later)).toBe(true);
        expect(await storage.authorizationCodes.consume(e.code.id, '2026-01-03T00:00:00.000Z')).toBe(false);
        expect((await storage.authorizationCodes.findByHash(e.code.codeHash))?.consumedAt).toBe(later);
      });

      it('consumes a code once even when two redemptions race', async () => {
        const e = await everything();
        const results = await Promise.all(
          Array.from({ length: 8 }, () => storage.authorizationCodes.consume(e.code.id, later)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('refuses a second code with the same hash', async () => {
        const e = await everything();
        await expect(storage.authorizationCodes.insert({ ...e.code, id: newId() })).rejects.toThrow();
      });

      it('keeps the sign-in of an OpenID Connect code, and finds a code by id', async () => {
        const e = await everything();
        const signIn = { authTime: now, amr: ['pwd', 'otp', 'mfa'], nonce: 'n-0S6_WzA2Mj' };
        const oidc = { ...e.code, id: newId(), codeHash: hash(), signIn };
        await storage.authorizationCodes.insert(oidc);
        await storage.authorizationCodes.insert({
          ...oidc,
          id: newId(),
          codeHash: hash(),
          signIn: { ...signIn, nonce: null },
        });
        expect(await storage.authorizationCodes.findById(oidc.id)).toEqual({ ...oidc, consumedAt: null });
        expect(await storage.authorizationCodes.findByHash(oidc.codeHash)).toEqual({
          ...oidc,
          consumedAt: null,
        });
        // A plain OAuth code has none.
        expect(await storage.authorizationCodes.findById(e.code.id)).toEqual({ ...e.code, consumedAt: null });
        expect(await storage.authorizationCodes.findById(newId())).toBeUndefined();
      });

      it('keeps the DPoP key a code is bound to (RFC 9449 §10)', async () => {
        const e = await everything();
        const bound = {
          ...e.code,
          id: newId(),
          codeHash: hash(),
          dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
        };
        await storage.authorizationCodes.insert(bound);
        expect(await storage.authorizationCodes.findByHash(bound.codeHash)).toEqual({
          ...bound,
          consumedAt: null,
        });
        expect(await storage.authorizationCodes.findById(e.code.id)).not.toHaveProperty('dpopJkt');
      });
    });

    describe('device codes', () => {
      const deviceCode = async () => {
        const accountId = await account();
        const userId = await user(accountId);
        const c = await client(accountId, { authMethod: 'none', secretHash: null });
        const d: DeviceCodeRecord = {
          id: newId(),
          deviceCodeHash: hash(),
          userCodeHash: hash(),
          accountId,
          clientId: c.id,
          resource: 'urn:keyhold:admin-api',
          scopes: ['keyhold:admin'],
          status: 'pending',
          userId: null,
          grantId: null,
          interval: 5,
          lastPolledAt: null,
          createdAt: now,
          expiresAt: later,
        };
        await storage.deviceCodes.insert(d);
        return { d, userId, g: await grant(accountId, userId, c.id, d.resource) };
      };

      it('finds a code by its device-code hash and, within its account only, by its user-code hash', async () => {
        const { d } = await deviceCode();
        expect(await storage.deviceCodes.findByDeviceCodeHash(d.deviceCodeHash)).toEqual(d);
        expect(await storage.deviceCodes.findByUserCodeHash(d.accountId, d.userCodeHash)).toEqual(d);
        expect(await storage.deviceCodes.findByUserCodeHash(await account(), d.userCodeHash)).toBeUndefined();
        expect(await storage.deviceCodes.findByDeviceCodeHash(hash())).toBeUndefined();
      });

      it('refuses a second live user code of the same hash in an account', async () => {
        const { d } = await deviceCode();
        await expect(
          storage.deviceCodes.insert({ ...d, id: newId(), deviceCodeHash: hash() }),
        ).rejects.toThrow();
      });

      it('lets one poll per interval through, and slows a fast poller down by 5 s', async () => {
        const { d } = await deviceCode();
        const t = Date.parse(now);
        expect(await storage.deviceCodes.poll(d.id, t)).toBe('ok');
        expect(await storage.deviceCodes.poll(d.id, t + 1000)).toBe('slow_down');
        expect((await storage.deviceCodes.findByDeviceCodeHash(d.deviceCodeHash))?.interval).toBe(10);
        expect(await storage.deviceCodes.poll(d.id, t + 1000 + 9000)).toBe('slow_down');
        expect(await storage.deviceCodes.poll(d.id, t + 10_000 + 15_000)).toBe('ok');
        const racing = await Promise.all(
          Array.from({ length: 8 }, () => storage.deviceCodes.poll(d.id, t + 100_000)),
        );
        expect(racing.filter((r) => r === 'ok')).toHaveLength(1);
      });

      it('moves pending → approved → consumed once, and pending → denied', async () => {
        const { d, userId, g } = await deviceCode();
        expect(await storage.deviceCodes.consume(d.id)).toBe(false);
        expect(await storage.deviceCodes.approve(d.id, userId, g.id)).toBe(true);
        expect(await storage.deviceCodes.approve(d.id, userId, g.id)).toBe(false);
        expect(await storage.deviceCodes.deny(d.id)).toBe(false);
        const racing = await Promise.all(Array.from({ length: 8 }, () => storage.deviceCodes.consume(d.id)));
        expect(racing.filter(Boolean)).toHaveLength(1);
        expect(await storage.deviceCodes.findByDeviceCodeHash(d.deviceCodeHash)).toMatchObject({
          status: 'consumed',
          userId,
          grantId: g.id,
        });
        const other = await deviceCode();
        expect(await storage.deviceCodes.deny(other.d.id)).toBe(true);
        expect(await storage.deviceCodes.approve(other.d.id, other.userId, other.g.id)).toBe(false);
      });

      it('goes with its grant, and is purged once expired', async () => {
        const { d, userId, g } = await deviceCode();
        await storage.deviceCodes.approve(d.id, userId, g.id);
        await storage.grants.delete(g.accountId, g.id);
        expect(await storage.deviceCodes.findByDeviceCodeHash(d.deviceCodeHash)).toBeUndefined();
        const live = await deviceCode();
        expect(await storage.deviceCodes.purgeExpired(later)).toBe(0);
        expect(await storage.deviceCodes.purgeExpired('2026-01-03T00:00:00.000Z')).toBeGreaterThanOrEqual(1);
        expect(await storage.deviceCodes.findByDeviceCodeHash(live.d.deviceCodeHash)).toBeUndefined();
      });
    });

    describe('pushed authorization requests', () => {
      const pushed = async (expiresAt = '2026-01-02T03:05:05.000Z') => {
        const accountId = await account();
        const c = await client(accountId);
        const r: PushedRequestRecord = {
          id: newId(),
          uriHash: hash(),
          accountId,
          clientId: c.id,
          parameters: 'response_type=code&state=s',
          createdAt: now,
          expiresAt,
          openedAt: null,
          consumedAt: null,
        };
        await storage.pushedRequests.insert(r);
        return r;
      };
      const at = (seconds: number) => new Date(Date.parse(now) + seconds * 1000).toISOString();

      it('finds a request by the hash of its URI, and refuses a second of the same hash', async () => {
        const r = await pushed();
        expect(await storage.pushedRequests.findByHash(r.uriHash)).toEqual(r);
        expect(await storage.pushedRequests.findByHash(hash())).toBeUndefined();
        await expect(storage.pushedRequests.insert({ ...r, id: newId() })).rejects.toThrow();
      });

      it('opens a request once while it is live, moving its expiry', async () => {
        const r = await pushed();
        expect(await storage.pushedRequests.open(r.id, at(61), at(700))).toBe(false);
        expect(await storage.pushedRequests.open(r.id, at(10), at(610))).toBe(true);
        expect(await storage.pushedRequests.open(r.id, at(11), at(611))).toBe(false);
        expect(await storage.pushedRequests.findByHash(r.uriHash)).toMatchObject({
          openedAt: at(10),
          expiresAt: at(610),
          consumedAt: null,
        });
      });

      it('consumes a request exactly once when many race, and never once expired', async () => {
        const r = await pushed();
        const racing = await Promise.all(
          Array.from({ length: 8 }, () => storage.pushedRequests.consume(r.id, at(5))),
        );
        expect(racing.filter(Boolean)).toHaveLength(1);
        expect((await storage.pushedRequests.findByHash(r.uriHash))?.consumedAt).toBe(at(5));
        expect(await storage.pushedRequests.open(r.id, at(6), at(600))).toBe(false);
        const late = await pushed();
        expect(await storage.pushedRequests.consume(late.id, at(60))).toBe(false);
        expect((await storage.pushedRequests.findByHash(late.uriHash))?.consumedAt).toBeNull();
      });

      it('goes with its client, and is purged once expired', async () => {
        const r = await pushed();
        await storage.clients.delete(r.accountId, r.clientId);
        expect(await storage.pushedRequests.findByHash(r.uriHash)).toBeUndefined();
        const live = await pushed();
        expect(await storage.pushedRequests.purgeExpired(at(60))).toBe(0);
        expect(await storage.pushedRequests.purgeExpired(at(61))).toBe(1);
        expect(await storage.pushedRequests.findByHash(live.uriHash)).toBeUndefined();
      });
    });

    describe('tokens', () => {
      it('stores user and client-credentials tokens and finds them by hash', async () => {
        const e = await everything();
        expect(await storage.oauthTokens.findByHash(e.access.tokenHash)).toEqual(e.access);
        expect(await storage.oauthTokens.findByHash(e.refresh.tokenHash)).toEqual(e.refresh);
        expect(await storage.oauthTokens.findByHash(e.appToken.tokenHash)).toEqual(e.appToken);
        expect(await storage.oauthTokens.findByHash(hash())).toBeUndefined();
      });

      it('inserts issued tokens with their audit events, each issuance all or nothing, durable when it resolves', async () => {
        const accountId = await account();
        const c = await client(accountId, { grantTypes: ['client_credentials'] });
        const issued = (clientId: string): OAuthTokenRecord => ({
          id: newId(),
          tokenHash: hash(),
          kind: 'access',
          accountId,
          clientId,
          userId: null,
          grantId: null,
          codeId: null,
          resource: 'urn:r',
          scopes: ['notes:read'],
          createdAt: now,
          expiresAt: later,
          revokedAt: null,
          rotatedAt: null,
          jkt: null,
        });
        const event = (t: OAuthTokenRecord): AuditEventInput => ({
          occurredAt: now,
          accountId,
          actorType: 'oauth_client',
          actorId: t.clientId,
          tokenId: null,
          action: 'CREATE',
          resourceType: 'OAUTH_TOKEN',
          resourceId: t.id,
          vaultId: null,
          itemId: null,
          itemVersion: null,
          result: 'SUCCESS',
          requestId: null,
          ip: '127.0.0.1',
          userAgent: null,
        });
        // Issued at once, so that a backend committing them together does so; the one for a
        // client that does not exist (deleted meanwhile) fails alone, leaving no event behind.
        const ok = Array.from({ length: 5 }, () => issued(c.id));
        const orphan = issued('kc-gone');
        const results = await Promise.allSettled([
          ...ok.map((t) => storage.insertIssuedTokens([t], [event(t)])),
          storage.insertIssuedTokens([orphan], [event(orphan)]),
        ]);
        expect(results.map((r) => r.status)).toEqual([...ok.map(() => 'fulfilled'), 'rejected']);
        for (const t of ok) expect(await storage.oauthTokens.findByHash(t.tokenHash)).toEqual(t);
        expect(await storage.oauthTokens.findByHash(orphan.tokenHash)).toBeUndefined();
        const events = await storage.audit.list(accountId, { limit: 100 });
        expect(events.map((e) => e.resourceId).sort()).toEqual(ok.map((t) => t.id).sort());
        expect(events.every((e) => e.action === 'CREATE' && e.resourceType === 'OAUTH_TOKEN')).toBe(true);
      });

      it('stores the DPoP key thumbprint a token is bound to', async () => {
        const e = await everything();
        const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
        const bound = await token(e.grant, { userId: e.userId, grantId: e.grant.id, jkt });
        const boundRefresh = await token(e.grant, { kind: 'refresh', grantId: e.grant.id, jkt });
        expect(await storage.oauthTokens.findByHash(bound.tokenHash)).toEqual(bound);
        expect(await storage.oauthTokens.findByHash(boundRefresh.tokenHash)).toEqual(boundRefresh);
        expect((await storage.oauthTokens.findByHash(e.access.tokenHash))?.jkt).toBeNull();
      });

      it('stores the act claim of a delegated token (RFC 8693), nested actors and all', async () => {
        const e = await everything();
        const act = { sub: 'kc-actor', client_id: 'kc-actor', act: { sub: e.userId } };
        const delegated = await token(e.grant, { userId: e.userId, grantId: e.grant.id, act });
        expect(await storage.oauthTokens.findByHash(delegated.tokenHash)).toEqual(delegated);
        expect(await storage.oauthTokens.findByHash(e.access.tokenHash)).not.toHaveProperty('act');
      });

      it('rotates a refresh token exactly once', async () => {
        const e = await everything();
        expect(await storage.oauthTokens.rotate(e.refresh.id, later)).toBe(true);
        expect(await storage.oauthTokens.rotate(e.refresh.id, '2026-01-03T00:00:00.000Z')).toBe(false);
        expect(await storage.oauthTokens.findByHash(e.refresh.tokenHash)).toEqual({
          ...e.refresh,
          rotatedAt: later,
        });
        const next = await token(e.grant, { kind: 'refresh', userId: e.userId, grantId: e.grant.id });
        const raced = await Promise.all(
          Array.from({ length: 8 }, () => storage.oauthTokens.rotate(next.id, later)),
        );
        expect(raced.filter(Boolean)).toHaveLength(1);
      });

      it('revokes one token and keeps the first revocation time', async () => {
        const e = await everything();
        await storage.oauthTokens.revoke(e.access.id, later);
        await storage.oauthTokens.revoke(e.access.id, '2026-01-03T00:00:00.000Z');
        expect((await storage.oauthTokens.findByHash(e.access.tokenHash))?.revokedAt).toBe(later);
        expect((await storage.oauthTokens.findByHash(e.refresh.tokenHash))?.revokedAt).toBeNull();
      });

      it('tells when each grant last had a token issued, and nothing for a grant without one', async () => {
        const e = await everything();
        const quiet = await grant(e.accountId, e.userId, e.client.id, 'urn:quiet');
        const newest = '2026-01-05T00:00:00.000Z';
        await token(e.grant, { userId: e.userId, grantId: e.grant.id, kind: 'refresh', createdAt: newest });
        const last = await storage.oauthTokens.lastIssuedByGrant([e.grant.id, quiet.id]);
        expect([...last]).toEqual([[e.grant.id, newest]]);
        expect(await storage.oauthTokens.lastIssuedByGrant([])).toEqual(new Map());
      });

      it('revokes every token descending from a code, and only those', async () => {
        const e = await everything();
        const otherCode = await code(e.grant);
        const [otherAccess] = await userTokens(e.grant, otherCode);
        await storage.oauthTokens.revoke(e.access.id, now);
        await storage.oauthTokens.revokeByCode(e.code.id, later);
        expect((await storage.oauthTokens.findByHash(e.access.tokenHash))?.revokedAt).toBe(now);
        expect((await storage.oauthTokens.findByHash(e.refresh.tokenHash))?.revokedAt).toBe(later);
        expect((await storage.oauthTokens.findByHash(otherAccess.tokenHash))?.revokedAt).toBeNull();
        expect((await storage.oauthTokens.findByHash(e.appToken.tokenHash))?.revokedAt).toBeNull();
      });

      it('revokes every token of a grant, and only those', async () => {
        const e = await everything();
        const otherGrant = await grant(e.accountId, e.userId, e.client.id, 'urn:other');
        const [otherAccess, otherRefresh] = await userTokens(otherGrant, await code(otherGrant));
        const secondCode = await code(e.grant);
        const [secondAccess] = await userTokens(e.grant, secondCode);
        await storage.oauthTokens.revokeByGrant(e.grant.id, later);
        for (const t of [e.access, e.refresh, secondAccess]) {
          expect((await storage.oauthTokens.findByHash(t.tokenHash))?.revokedAt).toBe(later);
        }
        for (const t of [otherAccess, otherRefresh, e.appToken]) {
          expect((await storage.oauthTokens.findByHash(t.tokenHash))?.revokedAt).toBeNull();
        }
      });

      it('narrows the live tokens of a grant to its new scopes, revoking those left with none', async () => {
        const e = await everything();
        const links = {
          userId: e.userId,
          grantId: e.grant.id,
          codeId: e.code.id,
          resource: e.grant.resource,
        };
        const both = await token(e.grant, { ...links, scopes: ['a', 'b'] });
        const onlyB = await token(e.grant, { ...links, kind: 'refresh', scopes: ['b'] });
        const onlyA = await token(e.grant, { ...links, scopes: ['a'] });
        const rotated = await token(e.grant, { ...links, kind: 'refresh', scopes: ['b'], rotatedAt: now });
        const revoked = await token(e.grant, { ...links, scopes: ['b'], revokedAt: now });
        const otherGrant = await token(e.appToken, { scopes: ['b'] });
        expect(
          await storage.transaction((tx) => tx.oauthTokens.narrowByGrant(e.grant.id, ['a'], later)),
        ).toBe(4);
        const find = (t: OAuthTokenRecord) => storage.oauthTokens.findByHash(t.tokenHash);
        expect(await find(both)).toEqual({ ...both, scopes: ['a'] });
        expect(await find(onlyB)).toEqual({ ...onlyB, revokedAt: later });
        expect(await find(onlyA)).toEqual(onlyA);
        // Rotated refresh tokens keep serving reuse detection; revoked ones stay as they were.
        expect(await find(rotated)).toEqual(rotated);
        expect(await find(revoked)).toEqual(revoked);
        expect(await find(otherGrant)).toEqual(otherGrant);
        // The grant's `notes:read` tokens from `everything` are revoked too: 4 changed in all.
        expect((await find(e.access))?.revokedAt).toBe(later);
        expect((await find(e.refresh))?.revokedAt).toBe(later);
        expect(await storage.oauthTokens.narrowByGrant(e.grant.id, ['a'], later)).toBe(0);
      });

      it('refuses a second token with the same hash', async () => {
        const e = await everything();
        await expect(token(e.grant, { tokenHash: e.access.tokenHash })).rejects.toThrow();
      });
    });

    describe('Connect tokens exchanged under OAuth grants', () => {
      const connectServer = async (accountId: string) => {
        const id = newId();
        await storage.connectServers.insert(
          { id, accountId, name: 'Payments', secretHash: hash(), createdAt: now, publicKey: null },
          [],
        );
        return id;
      };
      const connectToken = async (
        accountId: string,
        serverId: string,
        overrides: Partial<ConnectTokenRecord> = {},
      ) => {
        const t: ConnectTokenRecord = {
          id: newId(),
          accountId,
          serverId,
          name: 'exchanged',
          grants: [{ vaultId: newId(), permissions: ['read'] }],
          signatureHash: hash(),
          createdAt: now,
          expiresAt: later,
          revokedAt: null,
          ...overrides,
        };
        await storage.connectTokens.insert(t);
        return t;
      };

      it('stores the grant a Connect token was exchanged under, and none for an administrator-made one', async () => {
        const e = await everything();
        const serverId = await connectServer(e.accountId);
        const exchanged = await connectToken(e.accountId, serverId, { oauthGrantId: e.grant.id });
        const made = await connectToken(e.accountId, serverId, { expiresAt: null });
        expect(await storage.connectTokens.get(exchanged.id)).toEqual(exchanged);
        expect(await storage.connectTokens.get(made.id)).toEqual(made);
        expect(await storage.connectTokens.get(made.id)).not.toHaveProperty('oauthGrantId');
      });

      it("finds the live ones by grant, by the grant's user and by its client, and nothing else", async () => {
        const e = await everything();
        const serverId = await connectServer(e.accountId);
        const other = await client(e.accountId);
        const otherGrant = await grant(e.accountId, e.userId, other.id, e.server.identifier);
        const live = await connectToken(e.accountId, serverId, { oauthGrantId: e.grant.id });
        const forever = await connectToken(e.accountId, serverId, {
          oauthGrantId: e.grant.id,
          expiresAt: null,
        });
        await connectToken(e.accountId, serverId, { oauthGrantId: e.grant.id, revokedAt: now });
        await connectToken(e.accountId, serverId, { oauthGrantId: e.grant.id, expiresAt: now });
        await connectToken(e.accountId, serverId);
        const viaOther = await connectToken(e.accountId, serverId, { oauthGrantId: otherGrant.id });
        const at = '2026-01-02T03:30:00.000Z';
        const sorted = (ids: string[]) => [...ids].sort();
        expect(
          await storage.connectTokens.exchangedUnder({ accountId: e.accountId, grantId: e.grant.id }, at),
        ).toEqual(sorted([live.id, forever.id]));
        expect(
          await storage.connectTokens.exchangedUnder({ accountId: e.accountId, userId: e.userId }, at),
        ).toEqual(sorted([live.id, forever.id, viaOther.id]));
        expect(
          await storage.connectTokens.exchangedUnder({ accountId: e.accountId, clientId: other.id }, at),
        ).toEqual([viaOther.id]);
        // Another account's view of the same grant id is empty.
        const stranger = await account();
        expect(
          await storage.connectTokens.exchangedUnder({ accountId: stranger, grantId: e.grant.id }, at),
        ).toEqual([]);
        // Revoked ones are left out from then on.
        expect(await storage.connectTokens.revoke(e.accountId, live.id, at)).toBe(true);
        expect(
          await storage.connectTokens.exchangedUnder({ accountId: e.accountId, grantId: e.grant.id }, at),
        ).toEqual([forever.id]);
      });

      it('purges only exchanged tokens that expired before the cutoff', async () => {
        const e = await everything();
        const serverId = await connectServer(e.accountId);
        const expired = await connectToken(e.accountId, serverId, {
          oauthGrantId: e.grant.id,
          expiresAt: '2026-01-01T00:00:00.000Z',
        });
        const atCutoff = await connectToken(e.accountId, serverId, {
          oauthGrantId: e.grant.id,
          expiresAt: '2026-01-02T00:00:00.000Z',
        });
        const forever = await connectToken(e.accountId, serverId, {
          oauthGrantId: e.grant.id,
          expiresAt: null,
        });
        const made = await connectToken(e.accountId, serverId, { expiresAt: '2026-01-01T00:00:00.000Z' });
        expect(await storage.connectTokens.purgeExchanged('2026-01-02T00:00:00.000Z')).toBe(1);
        expect(await storage.connectTokens.get(expired.id)).toBeUndefined();
        for (const kept of [atCutoff, forever, made])
          expect(await storage.connectTokens.get(kept.id)).toEqual(kept);
        expect(await storage.connectTokens.purgeExchanged('2026-01-02T00:00:00.000Z')).toBe(0);
      });
    });

    describe('login sessions', () => {
      it('stores a session, finds it by hash, and deletes it', async () => {
        const accountId = await account();
        const userId = await user(accountId);
        const s = await session(accountId, userId);
        const other = await session(accountId, userId);
        expect(await storage.loginSessions.findByHash(s.secretHash)).toEqual(s);
        expect(await storage.loginSessions.findByHash(hash())).toBeUndefined();
        await storage.loginSessions.delete(s.id);
        expect(await storage.loginSessions.findByHash(s.secretHash)).toBeUndefined();
        expect(await storage.loginSessions.findByHash(other.secretHash)).toEqual(other);
        // Deleting an absent session is no error.
        await storage.loginSessions.delete(s.id);
      });

      it('keeps how the user signed in (amr), absent on a session opened without it', async () => {
        const accountId = await account();
        const userId = await user(accountId);
        const s: LoginSessionRecord = {
          ...(await session(accountId, userId)),
          id: newId(),
          secretHash: hash(),
          amr: ['pwd', 'otp', 'mfa'],
        };
        await storage.loginSessions.insert(s);
        expect(await storage.loginSessions.findByHash(s.secretHash)).toEqual(s);
      });

      it('ends every session of a user but the one kept, and no other user’s', async () => {
        const accountId = await account();
        const userId = await user(accountId);
        const otherUser = await user(accountId);
        const kept = await session(accountId, userId);
        const ended = [await session(accountId, userId), await session(accountId, userId)];
        const theirs = await session(accountId, otherUser);
        expect(await storage.loginSessions.deleteForUser(userId, kept.id)).toBe(2);
        for (const s of ended) expect(await storage.loginSessions.findByHash(s.secretHash)).toBeUndefined();
        expect(await storage.loginSessions.findByHash(kept.secretHash)).toEqual(kept);
        expect(await storage.loginSessions.findByHash(theirs.secretHash)).toEqual(theirs);
        expect(await storage.loginSessions.deleteForUser(userId)).toBe(1);
        expect(await storage.loginSessions.findByHash(kept.secretHash)).toBeUndefined();
      });

      it('refuses a session for a user that does not exist', async () => {
        const accountId = await account();
        await expect(session(accountId, newId())).rejects.toThrow();
      });
    });

    describe('login attempts', () => {
      const T = 1_750_000_000_000;
      const WAITS = [1_000, 2_000, 4_000];
      const HOUR = 3_600_000;
      const key = (free = 3, forgetAfterMs = HOUR) => ({ key: hash(), free, forgetAfterMs });
      const reserve = (keys: { key: Buffer; free: number; forgetAfterMs: number }[], at = T) =>
        storage.loginAttempts.reserve(keys, WAITS, at);
      const reserved = { reserved: true };
      const refused = (retryAfterMs: number) => ({ reserved: false, retryAfterMs });

      it('lets the free attempts through, locks on the last of them, and waits longer each time', async () => {
        const k = key(3);
        expect(await reserve([k])).toEqual(reserved);
        expect(await reserve([k])).toEqual(reserved);
        expect(await reserve([k])).toEqual(reserved);
        expect(await reserve([k])).toEqual(refused(1_000));
        expect(await reserve([k], T + 400)).toEqual(refused(600));
        expect(await reserve([k], T + 1_000)).toEqual(reserved);
        expect(await reserve([k], T + 1_000)).toEqual(refused(2_000));
        expect(await reserve([k], T + 3_000)).toEqual(reserved);
        expect(await reserve([k], T + 3_000)).toEqual(refused(4_000));
        // The last wait repeats.
        expect(await reserve([k], T + 7_000)).toEqual(reserved);
        expect(await reserve([k], T + 7_000)).toEqual(refused(4_000));
      });

      it('reserves on every key or on none: one locked key refuses the attempt and counts nothing', async () => {
        const locked = key(1);
        const open = key(2);
        expect(await reserve([locked])).toEqual(reserved);
        for (let n = 0; n < 5; n++) expect(await reserve([open, locked])).toEqual(refused(1_000));
        // `open` counted none of the refused attempts: it still has both of its free ones.
        expect(await reserve([open])).toEqual(reserved);
        expect(await reserve([open])).toEqual(reserved);
        expect(await reserve([open])).toEqual(refused(1_000));
        // Refused on the longest of the keys' waits.
        const later = key(1);
        expect(await reserve([later], T + 500)).toEqual(reserved);
        expect(await reserve([locked, later], T + 600)).toEqual(refused(900));
      });

      it('forgets a key after its forget time, counted from its last attempt or from its lock end', async () => {
        const k = key(2, 10_000);
        expect(await reserve([k])).toEqual(reserved);
        expect(await reserve([k], T + 9_000)).toEqual(reserved); // locked until T + 10 s
        // Remembered until 10 s after the lock ended.
        expect(await reserve([k], T + 19_999)).toEqual(reserved);
        expect(await reserve([k], T + 19_999)).toEqual(refused(2_000));
        // Forgotten 10 s after that lock: two free attempts again.
        const forgotten = T + 19_999 + 2_000 + 10_000;
        expect(await reserve([k], forgotten)).toEqual(reserved);
        expect(await reserve([k], forgotten)).toEqual(reserved);
        expect(await reserve([k], forgotten)).toEqual(refused(1_000));
      });

      it('clears keys, and purges those forgotten before a time, saying how many', async () => {
        const a = key(1, 1_000);
        const b = key(1, 5_000);
        const c = key(1, 5_000);
        for (const k of [a, b, c]) expect(await reserve([k])).toEqual(reserved);
        await storage.loginAttempts.clear([c.key, hash()]);
        await storage.loginAttempts.clear([]);
        expect(await reserve([c])).toEqual(reserved);
        // a: forgotten at T + 2 s (lock end + 1 s); b and c at T + 6 s.
        expect(await storage.loginAttempts.purgeExpired(T + 2_000)).toBe(0);
        expect(await storage.loginAttempts.purgeExpired(T + 2_001)).toBe(1);
        expect(await reserve([b], T + 1_000)).toEqual(reserved);
        expect(await storage.loginAttempts.purgeExpired(T + 100_000)).toBe(2);
      });

      it('of 50 concurrent reservations, exactly the free ones go through, alone or in transactions', async () => {
        const k = key(5);
        const direct = await Promise.all(Array.from({ length: 50 }, () => reserve([k, key()])));
        expect(direct.filter((r) => r.reserved)).toHaveLength(5);
        const email = key(7);
        const inTransactions = await Promise.all(
          Array.from({ length: 50 }, (_, n) =>
            storage.transaction((tx) => tx.loginAttempts.reserve([key(5), email], WAITS, T + n)),
          ),
        );
        expect(inTransactions.filter((r) => r.reserved)).toHaveLength(7);
      });

      it('refuses nonsense numbers instead of writing them into a statement', async () => {
        await expect(reserve([])).rejects.toThrow(TypeError);
        await expect(reserve([key(0)])).rejects.toThrow(TypeError);
        await expect(reserve([key(1.5)])).rejects.toThrow(TypeError);
        await expect(storage.loginAttempts.reserve([key()], [], T)).rejects.toThrow(TypeError);
        await expect(storage.loginAttempts.reserve([key()], [Number.NaN], T)).rejects.toThrow(TypeError);
        await expect(storage.loginAttempts.reserve([key()], WAITS, -1)).rejects.toThrow(TypeError);
      });
    });

    describe('cascades', () => {
      it('deleting a user deletes their grants, codes, tokens and sessions', async () => {
        const e = await everything();
        const otherUser = await user(e.accountId);
        const otherGrant = await grant(e.accountId, otherUser, e.client.id, e.grant.resource);
        const otherCode = await code(otherGrant);
        const [otherAccess] = await userTokens(otherGrant, otherCode);
        const otherSession = await session(e.accountId, otherUser);

        expect(await storage.users.delete(e.accountId, e.userId)).toBe(true);
        expect(await storage.grants.get(e.accountId, e.grant.id)).toBeUndefined();
        expect(await storage.grants.listForUser(e.accountId, e.userId)).toEqual([]);
        await gone(e, { tokens: [e.access, e.refresh], code: true });
        expect(await storage.loginSessions.findByHash(e.session.secretHash)).toBeUndefined();
        // The client, its own token and everyone else's are untouched.
        expect(await storage.clients.findById(e.client.id)).toEqual(e.client);
        expect(await storage.oauthTokens.findByHash(e.appToken.tokenHash)).toEqual(e.appToken);
        expect(await storage.grants.get(e.accountId, otherGrant.id)).toEqual(otherGrant);
        expect(await storage.authorizationCodes.findByHash(otherCode.codeHash)).toBeDefined();
        expect(await storage.oauthTokens.findByHash(otherAccess.tokenHash)).toEqual(otherAccess);
        expect(await storage.loginSessions.findByHash(otherSession.secretHash)).toEqual(otherSession);
      });

      it('deleting a client deletes its grants, codes and tokens, not users or sessions', async () => {
        const e = await everything();
        const otherClient = await client(e.accountId);
        const otherToken = await token({ accountId: e.accountId, clientId: otherClient.id });

        expect(await storage.clients.delete(e.accountId, e.client.id)).toBe(true);
        await gone(e, { tokens: [e.access, e.refresh, e.appToken], code: true });
        expect(await storage.grants.get(e.accountId, e.grant.id)).toBeUndefined();
        expect(await storage.oauthTokens.findByHash(otherToken.tokenHash)).toEqual(otherToken);
        expect(await storage.users.get(e.accountId, e.userId)).toBeDefined();
        expect(await storage.loginSessions.findByHash(e.session.secretHash)).toEqual(e.session);
        expect(await storage.resourceServers.get(e.accountId, e.server.id)).toEqual(e.server);
      });

      it('deleting a grant deletes its codes and tokens, and nothing else', async () => {
        const e = await everything();
        const otherGrant = await grant(e.accountId, e.userId, e.client.id, 'urn:other');
        const otherCode = await code(otherGrant);
        const [otherAccess] = await userTokens(otherGrant, otherCode);

        expect(await storage.grants.delete(await account(), e.grant.id)).toBe(false);
        expect(await storage.grants.delete(e.accountId, e.grant.id)).toBe(true);
        expect(await storage.grants.delete(e.accountId, e.grant.id)).toBe(false);
        await gone(e, { tokens: [e.access, e.refresh], code: true });
        expect(await storage.oauthTokens.findByHash(e.appToken.tokenHash)).toEqual(e.appToken);
        expect(await storage.authorizationCodes.findByHash(otherCode.codeHash)).toBeDefined();
        expect(await storage.oauthTokens.findByHash(otherAccess.tokenHash)).toEqual(otherAccess);
        expect(await storage.loginSessions.findByHash(e.session.secretHash)).toEqual(e.session);
        expect(await storage.clients.findById(e.client.id)).toEqual(e.client);
      });

      it('deleting a resource server leaves grants and tokens for its identifier to the services', async () => {
        const e = await everything();
        expect(await storage.resourceServers.delete(e.accountId, e.server.id)).toBe(true);
        expect(await storage.grants.get(e.accountId, e.grant.id)).toEqual(e.grant);
        expect(await storage.oauthTokens.findByHash(e.access.tokenHash)).toEqual(e.access);
      });

      it('deleting an account deletes its whole authorization server, and no other account’s', async () => {
        const e = await everything();
        const kept = await everything();

        expect(await storage.accounts.delete(e.accountId)).toBe(true);
        expect(await storage.resourceServers.list(e.accountId)).toEqual([]);
        expect(await storage.resourceServers.scopes(e.accountId)).toEqual([]);
        expect(await storage.resourceServers.findBySecretHash(e.server.secretHash)).toBeUndefined();
        expect(await storage.clients.findById(e.client.id)).toBeUndefined();
        expect(await storage.clients.list(e.accountId)).toEqual([]);
        expect(await storage.grants.listForAccount(e.accountId)).toEqual([]);
        await gone(e, { tokens: [e.access, e.refresh, e.appToken], code: true });
        expect(await storage.loginSessions.findByHash(e.session.secretHash)).toBeUndefined();

        expect(await storage.resourceServers.list(kept.accountId)).toEqual([kept.server]);
        expect(await storage.clients.findById(kept.client.id)).toEqual(kept.client);
        expect(await storage.grants.listForAccount(kept.accountId)).toEqual([kept.grant]);
        expect(await storage.oauthTokens.findByHash(kept.refresh.tokenHash)).toEqual(kept.refresh);
        expect(await storage.loginSessions.findByHash(kept.session.secretHash)).toEqual(kept.session);
      });
    });

    it('purges only what expired before the given time, and says how many', async () => {
      const e = await everything();
      const expired = await token({ accountId: e.accountId, clientId: e.client.id }, { expiresAt: now });
      const cutoff = '2026-01-02T03:30:00.000Z'; // after `now`, before `later`
      expect(await storage.oauthTokens.purgeExpired(cutoff)).toBe(1);
      expect(await storage.oauthTokens.findByHash(expired.tokenHash)).toBeUndefined();
      expect(await storage.oauthTokens.findByHash(e.access.tokenHash)).toBeDefined();
      expect(await storage.authorizationCodes.purgeExpired(cutoff)).toBe(0);
      expect(await storage.authorizationCodes.purgeExpired('2026-01-03T00:00:00.000Z')).toBe(1);
      expect(await storage.authorizationCodes.findByHash(e.code.codeHash)).toBeUndefined();
      expect(await storage.loginSessions.purgeExpired(cutoff)).toBe(0);
      expect(await storage.loginSessions.purgeExpired('2026-01-03T00:00:00.000Z')).toBe(1);
      expect(await storage.loginSessions.findByHash(e.session.secretHash)).toBeUndefined();
    });

    it('rolls back OAuth writes with the rest of a failed transaction', async () => {
      const accountId = await account();
      const userId = await user(accountId);
      const c = await client(accountId);
      const g: GrantRecord = {
        id: newId(),
        accountId,
        userId,
        clientId: c.id,
        resource: 'urn:r',
        scopes: ['notes:read'],
        createdAt: now,
        updatedAt: now,
      };
      await expect(
        storage.transaction(async (tx) => {
          await tx.grants.insert(g);
          await tx.clients.insert(c);
        }),
      ).rejects.toThrow();
      expect(await storage.grants.get(accountId, g.id)).toBeUndefined();
    });
  });
}
