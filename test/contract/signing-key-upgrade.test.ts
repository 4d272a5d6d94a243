import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type CryptoKey, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Kysely, Migrator } from 'kysely';
import * as oauth from 'oauth4webapi';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { aad } from '../../src/crypto/envelope.js';
import { newId } from '../../src/crypto/ids.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { hashSecret, newBearerSecret } from '../../src/crypto/secrets.js';
import { signatureHash } from '../../src/domain/connect/token-service.js';
import { buildApp } from '../../src/http/app.js';
import { buildServices } from '../../src/services.js';
import { DIALECT_TYPES, migrationProvider } from '../../src/storage/sql/migrations.js';
import { betterSqliteDialect } from '../../src/storage/sqlite/driver.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

/**
 * A database written by a release where one key per account signed both Connect tokens and
 * OAuth JWT access tokens (schema 0005), opened by this one (migration 0009_signing_key_kinds).
 * The rows are what that release wrote, made with raw SQL so later schema changes do not alter
 * them; the tokens are signed exactly as that release's token service and token issuer did.
 */
const dir = mkdtempSync(join(tmpdir(), 'keyhold-key-upgrade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.useRealTimers();
});

const ORIGIN = 'http://keyhold.test';
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => Math.floor(ms / 1000);

async function databaseAt(file: string, migration: string): Promise<BetterSqlite3.Database> {
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  const db = new Kysely({ dialect: betterSqliteDialect(database).dialect });
  const provider = migrationProvider(DIALECT_TYPES.sqlite);
  const { error } = await new Migrator({ db, provider }).migrateTo(migration);
  if (error) throw error;
  return database;
}

interface OldKey {
  kid: string;
  privateKey: CryptoKey;
}

/** A key as the old release stored it: no kind, sealed under the master key. */
async function insertKey(
  db: BetterSqlite3.Database,
  keyring: Keyring,
  accountId: string,
  createdAt: number,
  retiredAt: number | null,
): Promise<OldKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = newId();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const sealed = keyring.sealWithMaster(
    Buffer.from(JSON.stringify(await exportJWK(privateKey))),
    aad.accountKey(accountId, kid),
  );
  db.prepare(
    'insert into signing_keys (kid, account_id, public_jwk, private_key, created_at, retired_at) values (?, ?, ?, ?, ?, ?)',
  ).run(
    kid,
    accountId,
    JSON.stringify(publicJwk),
    sealed,
    iso(createdAt),
    retiredAt === null ? null : iso(retiredAt),
  );
  return { kid, privateKey };
}

describe('upgrading a database whose one key signed both kinds of token', () => {
  it('keeps the old key as the Connect key, publishes it for OAuth until its last JWT expires, and makes the OAuth key at first use', async () => {
    const now = Date.now();
    const file = join(dir, 'v5.sqlite');
    const keyring = new Keyring(randomBytes(32));
    const old = await databaseAt(file, '0005_item_content_together');
    const acc = newId();
    const vault = newId();
    const server = newId();
    const issuer = `${ORIGIN}/oauth/${acc}`;
    const analytics = 'https://analytics.example.com';
    const clientId = `kc-${newId()}`;
    const clientSecret = newBearerSecret('khcs');
    old
      .prepare('insert into accounts (id, name, created_at) values (?, ?, ?)')
      .run(acc, 'a', iso(now - 30 * DAY));
    old
      .prepare(
        `insert into vaults (id, account_id, wrapped_key, attributes, type, attribute_version,
           content_version, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(vault, acc, Buffer.from('k'), Buffer.from('a'), 'USER_CREATED', 1, 1, iso(now), iso(now));
    old
      .prepare(
        'insert into connect_servers (id, account_id, name, secret_hash, created_at) values (?, ?, ?, ?, ?)',
      )
      .run(server, acc, 'srv', randomBytes(32), iso(now - 30 * DAY));
    old.prepare('insert into connect_server_vaults (server_id, vault_id) values (?, ?)').run(server, vault);
    const rs = newId();
    old
      .prepare(
        `insert into oauth_resource_servers (id, account_id, identifier, name, token_format, access_token_ttl,
           secret_hash, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(rs, acc, analytics, 'Analytics', 'jwt', 3600, randomBytes(32), iso(now - 30 * DAY));
    old
      .prepare(
        `insert into oauth_scopes (account_id, name, resource_server_id, description, exclusive, created_at)
           values (?, ?, ?, ?, ?, ?)`,
      )
      .run(acc, 'analytics:read', rs, 'Read analytics', 0, iso(now - 30 * DAY));
    old
      .prepare(
        `insert into oauth_clients (id, account_id, name, auth_method, secret_hash, jwks, redirect_uris,
           grant_types, scopes, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        clientId,
        acc,
        'dashboard',
        'client_secret_post',
        hashSecret(clientSecret),
        null,
        '[]',
        '["client_credentials"]',
        '["analytics:read"]',
        iso(now - 30 * DAY),
      );

    // Two keys: one retired ten days ago, and the one that signed both kinds until the upgrade.
    const retired = await insertKey(old, keyring, acc, now - 30 * DAY, now - 10 * DAY);
    const shared = await insertKey(old, keyring, acc, now - 10 * DAY, null);

    /** A Connect token as the old token service made it: no expiry, registered by signature hash. */
    const connectToken = async (key: OldKey, issuedAt: number) => {
      const jti = newId();
      const token = await new SignJWT({
        '1password.com/auuid': acc,
        '1password.com/fts': ['vaultaccess'],
        '1password.com/vts': [{ u: vault, a: 1 }],
      })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
        .setIssuer('keyhold')
        .setSubject(server)
        .setAudience([server])
        .setJti(jti)
        .setIssuedAt(seconds(issuedAt))
        .sign(key.privateKey);
      old
        .prepare(
          `insert into connect_tokens (id, account_id, server_id, name, grants, signature_hash, created_at,
             expires_at, revoked_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          jti,
          acc,
          server,
          'tok',
          JSON.stringify([{ vaultId: vault, permissions: ['read'] }]),
          signatureHash(token),
          iso(issuedAt),
          null,
          null,
        );
      return token;
    };
    /** An RFC 9068 access token as the old token issuer made it, registered by its hash. */
    const accessJwt = async (key: OldKey, issuedAt: number, ttl: number) => {
      const jti = newId();
      const token = await new SignJWT({ client_id: clientId, scope: 'analytics:read' })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setSubject(clientId)
        .setAudience(analytics)
        .setIssuedAt(seconds(issuedAt))
        .setExpirationTime(seconds(issuedAt) + ttl)
        .setJti(jti)
        .sign(key.privateKey);
      old
        .prepare(
          `insert into oauth_tokens (id, token_hash, kind, account_id, client_id, user_id, grant_id, code_id,
             resource, scopes, created_at, expires_at, revoked_at, rotated_at)
             values (?, ?, 'access', ?, ?, null, null, null, ?, '["analytics:read"]', ?, ?, null, null)`,
        )
        .run(
          jti,
          hashSecret(token),
          acc,
          clientId,
          analytics,
          iso(seconds(issuedAt) * 1000),
          iso((seconds(issuedAt) + ttl) * 1000),
        );
      return token;
    };
    const connectByRetired = await connectToken(retired, now - 20 * DAY);
    const connectByShared = await connectToken(shared, now - 5 * DAY);
    await accessJwt(retired, now - 12 * DAY, 3600);
    await accessJwt(shared, now - 2 * DAY, 3600);
    const liveJwt = await accessJwt(shared, now - 10 * 60 * 1000, 3600);
    old.close();

    const storage = await openSqlite(file);
    const services = buildServices(storage, keyring, { publicUrl: () => ORIGIN });
    const config = loadConfig({ KEYHOLD_DATA_DIR: dir });
    const app = buildApp({
      services,
      logger: pino({ level: 'silent' }),
      limits: { json: config.bodyLimit, file: config.maxFileSize, inlineFile: config.maxInlineFileSize },
    });
    try {
      const listening = await app.listen({ host: '127.0.0.1', port: 0 });
      const connectJwks = async () => (await app.inject({ url: `/api/accounts/${acc}/jwks.json` })).json();
      const oauthJwks = async () => (await app.inject({ url: `/oauth/${acc}/jwks.json` })).json();
      const kids = (set: { keys: { kid: string }[] }) => set.keys.map((k) => k.kid).sort();
      /** What a resource server does: oauth4webapi, fetching the issuer's JWKS over HTTP. */
      const validate = (jwt: string) =>
        oauth.validateJwtAccessToken(
          { issuer, jwks_uri: `${listening}/oauth/${acc}/jwks.json` },
          new Request(`${analytics}/data`, { headers: { authorization: `Bearer ${jwt}` } }),
          analytics,
          { [oauth.allowInsecureRequests]: true },
        );

      // Both old keys became Connect keys; each remembers its last access token's expiry.
      const records = await storage.signingKeys.list(acc);
      expect(records.map((r) => [r.kid, r.kind, r.oauthUntil])).toEqual([
        [shared.kid, 'connect', iso((seconds(now - 10 * 60 * 1000) + 3600) * 1000)],
        [retired.kid, 'connect', iso((seconds(now - 12 * DAY) + 3600) * 1000)],
      ]);

      // Connect tokens of both old keys keep working: the Connect JWKS holds both keys.
      for (const token of [connectByShared, connectByRetired]) {
        await expect(services.connectVerifier.verify(token, server)).resolves.toMatchObject({
          actor: { type: 'connect_token', accountId: acc },
        });
      }
      expect(kids(await connectJwks())).toEqual([retired.kid, shared.kid].sort());
      // The live OAuth JWT still validates at a resource server: its key is in the OAuth JWKS
      // until it expires. The retired key's JWTs have all expired, so it is not.
      expect(kids(await oauthJwks())).toEqual([shared.kid]);
      await expect(validate(liveJwt)).resolves.toMatchObject({ client_id: clientId, aud: analytics });

      // First use of an OAuth key, by five token requests at once: one key is made, audited.
      const minted = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const res = await app.inject({
            method: 'POST',
            url: `/oauth/${acc}/token`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({
              grant_type: 'client_credentials',
              client_id: clientId,
              client_secret: clientSecret,
              scope: 'analytics:read',
              resource: analytics,
            }).toString(),
          });
          expect(res.statusCode, res.body).toBe(200);
          return res.json().access_token as string;
        }),
      );
      const oauthKeys = (await storage.signingKeys.list(acc)).filter((r) => r.kind === 'oauth');
      expect(oauthKeys).toHaveLength(1);
      const oauthKid = oauthKeys[0]?.kid as string;
      expect(oauthKeys[0]).toMatchObject({ retiredAt: null, oauthUntil: null });
      expect(new Set(minted.map((jwt) => decodeProtectedHeader(jwt).kid))).toEqual(new Set([oauthKid]));
      const keyEvents = (await storage.audit.list(acc, { limit: 100 })).filter(
        (e) => e.resourceType === 'SIGNING_KEY',
      );
      expect(keyEvents).toEqual([
        expect.objectContaining({
          action: 'CREATE',
          resourceId: oauthKid,
          actorType: 'system',
          result: 'SUCCESS',
        }),
      ]);
      for (const jwt of [...minted, liveJwt]) await expect(validate(jwt)).resolves.toBeDefined();
      expect(kids(await oauthJwks())).toEqual([oauthKid, shared.kid].sort());
      // The new OAuth key is never a Connect key: the Connect side is as it was.
      expect(kids(await connectJwks())).toEqual([retired.kid, shared.kid].sort());
      expect((await storage.signingKeys.current(acc, 'connect'))?.kid).toBe(shared.kid);

      // Once the old key's last OAuth JWT has expired, it leaves the OAuth JWKS for good, and
      // goes on verifying Connect tokens.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(now + 2 * HOUR);
      expect(kids(await oauthJwks())).toEqual([oauthKid]);
      expect(kids(await connectJwks())).toEqual([retired.kid, shared.kid].sort());
      await expect(services.connectVerifier.verify(connectByShared, server)).resolves.toBeDefined();
    } finally {
      await app.close();
      await storage.close();
    }
  });

  it('allows one current key per account and kind, as the index enforces', async () => {
    const storage = await openSqlite(join(dir, 'index.sqlite'));
    try {
      const acc = newId();
      await storage.accounts.insert({ id: acc, name: 'a', createdAt: iso(Date.now()) });
      const key = (kind: 'connect' | 'oauth') => ({
        kid: newId(),
        accountId: acc,
        kind,
        publicJwk: '{}',
        privateKey: Buffer.from('sealed'),
        createdAt: iso(Date.now()),
        retiredAt: null,
        oauthUntil: null,
        withdrawnAt: null,
      });
      await storage.signingKeys.insert(key('connect'));
      await storage.signingKeys.insert(key('oauth'));
      await expect(storage.signingKeys.insert(key('oauth'))).rejects.toThrow(/UNIQUE/);
      await storage.signingKeys.retireCurrent(acc, 'oauth', iso(Date.now()));
      await storage.signingKeys.insert(key('oauth'));
      const list = await storage.signingKeys.list(acc);
      expect(
        list
          .filter((k) => k.retiredAt === null)
          .map((k) => k.kind)
          .sort(),
      ).toEqual(['connect', 'oauth']);
      expect(list).toHaveLength(3);
    } finally {
      await storage.close();
    }
  });
});
