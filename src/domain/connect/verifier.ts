import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { safeEqual } from '../../crypto/secrets.js';
import { unauthorized } from '../../errors/app-error.js';
import type { ConnectGrant, ConnectServerStore, ConnectTokenStore } from '../../storage/ports.js';
import type { Principal } from '../access/decide.js';
import type { ConnectPermission } from '../access/permissions.js';
import type { Actor } from '../context.js';
import { CLAIM_ACCOUNT, TOKEN_ISSUER } from './claims.js';
import type { SigningKeys } from './signing-keys.js';

/** Where the verifier finds a token's key: the central `SigningKeys`, or a node's replica of the public keys. */
export type VerificationKeys = Pick<SigningKeys, 'verifier'>;

/** What the verifier reads: the central storage, or a node's replica. */
export interface ConnectVerifierStores {
  connectTokens: Pick<ConnectTokenStore, 'get'>;
  connectServers: Pick<ConnectServerStore, 'vaults'>;
}

import { signatureHash } from './token-service.js';

export interface VerifiedConnectToken {
  actor: Actor;
  principal: Extract<Principal, { kind: 'connect' }>;
}

interface VerifiedSignature {
  /** The key that made the signature: asked again on every hit, since it may be withdrawn. */
  kid: string;
  jti: string;
  accountId: string;
  /** Seconds since the epoch, or undefined for a token without expiry. */
  exp: number | undefined;
  nbf: number | undefined;
  /** SHA-256 of the signature, compared with the registration on every request. */
  signatureHash: Buffer;
}

/** A token with one vault grant is ~560 characters: some 11 MB of keys when full. */
const MAX_CACHED = 20_000;

/**
 * Verifies a Connect bearer token for one server. Two stages:
 *
 * 1. The signature (ES256, a known kid of a Connect key, issuer, audience = this server,
 *    exp/nbf). Signature checks cost ~0.2 ms, so results are cached by token; the cache holds
 *    only what the signature proves, and expiry is re-checked on every hit. A kid's key never
 *    changes, and a deleted key's account took every registration with it; the one change that
 *    makes a proof untrue is the key's withdrawal, so every hit asks the keys again for its kid
 *    (a map lookup there, which the `signing-keys` change feed or the replica empties): a
 *    withdrawn key's tokens fail at their next request, cached or not.
 * 2. The registration, checked on every request: the token is known by `jti` with the same
 *    signature hash, not revoked, its server still exists, and the server's *current* vault set
 *    bounds the grants. Storage may serve both from its access cache, which every access change
 *    empties once the change feed delivers it (src/storage/cache): on the node that made it
 *    before the change is answered, so a revoked token, deleted server or deleted account
 *    (cascade) fails at its very next request there, and on every other node within a second.
 *    Revocation never waits for a cache to expire.
 */
export class ConnectVerifier {
  readonly #stores: ConnectVerifierStores;
  readonly #keys: VerificationKeys;
  readonly #signatures = new Map<string, VerifiedSignature>();
  /**
   * The lookup forms of a registration's grants and of a server's vault set, kept per array the
   * store returned: a cached (frozen, shared) record yields the same array on every request, so
   * these are built once per cache entry, and go with it.
   */
  readonly #grants = new WeakMap<
    readonly ConnectGrant[],
    ReadonlyMap<string, ReadonlySet<ConnectPermission>>
  >();
  readonly #serverVaults = new WeakMap<readonly string[], ReadonlySet<string>>();

  constructor(stores: ConnectVerifierStores, keys: VerificationKeys) {
    this.#stores = stores;
    this.#keys = keys;
  }

  async verify(token: string, serverId: string): Promise<VerifiedConnectToken> {
    if (token === '')
      throw unauthorized('Invalid bearer token: send `Authorization: Bearer <Connect token>`');
    const verified = await this.#verifySignature(token, serverId);
    const record = await this.#stores.connectTokens.get(verified.jti);
    if (!record || record.serverId !== serverId || !safeEqual(record.signatureHash, verified.signatureHash)) {
      throw unauthorized('Invalid token: not issued for this server');
    }
    if (record.revokedAt !== null) throw unauthorized('Invalid token: the token has been revoked');
    const serverVaults = await this.#stores.connectServers.vaults(serverId);
    return {
      actor: {
        type: 'connect_token',
        id: record.id,
        accountId: record.accountId,
        tokenId: record.id,
      },
      principal: {
        kind: 'connect',
        accountId: record.accountId,
        serverId,
        grants: derived(this.#grants, record.grants, (grants) => new Map(grants.map(grantEntry))),
        serverVaults: derived(this.#serverVaults, serverVaults, (vaults) => new Set(vaults)),
      },
    };
  }

  async #verifySignature(token: string, serverId: string): Promise<VerifiedSignature> {
    // Keyed by the token itself: hashing it cost more than the rest of a cached check, and a
    // copy in memory exposes nothing to a reader of this process's memory, which holds the
    // master key. Cache entries are bounded by count, so long tokens bound memory too.
    const cacheKey = `${serverId} ${token}`;
    const cached = this.#signatures.get(cacheKey);
    const now = Math.floor(Date.now() / 1000);
    if (cached) {
      const known = this.#keys.verifier(cached.kid);
      if (!(known instanceof Promise ? await known : known)) {
        this.#signatures.delete(cacheKey);
        throw unauthorized('Invalid token signature');
      }
      if (cached.exp !== undefined && now >= cached.exp)
        throw unauthorized('Invalid token: the token has expired');
      if (cached.nbf !== undefined && now < cached.nbf)
        throw unauthorized('Invalid token: the token is not valid yet');
      return cached;
    }
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw unauthorized('Invalid token signature');
    }
    const key = typeof kid === 'string' ? await this.#keys.verifier(kid) : undefined;
    if (!key) throw unauthorized('Invalid token signature');
    // RFC 8725 §3.12: only a Connect key signs Connect tokens. An OAuth key's valid signature
    // (over claims shaped like a Connect token's) is refused before it is even checked.
    if (key.kind !== 'connect') throw unauthorized('Invalid token: not signed by a Connect token key');
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, key.publicKey, {
        algorithms: ['ES256'],
        issuer: TOKEN_ISSUER,
        audience: serverId,
        subject: serverId,
        requiredClaims: ['jti', 'iat'],
      }));
    } catch (error) {
      throw unauthorized(joseMessage(error));
    }
    // The key decides the account: a valid signature by another account's key cannot claim this one.
    if (payload[CLAIM_ACCOUNT] !== key.accountId || typeof payload.jti !== 'string') {
      throw unauthorized('Invalid token signature');
    }
    const result: VerifiedSignature = {
      kid: key.kid,
      jti: payload.jti,
      accountId: key.accountId,
      exp: payload.exp,
      nbf: payload.nbf,
      signatureHash: signatureHash(token),
    };
    if (this.#signatures.size >= MAX_CACHED)
      this.#signatures.delete(this.#signatures.keys().next().value as string);
    this.#signatures.set(cacheKey, result);
    return result;
  }
}

const grantEntry = (g: ConnectGrant): [string, ReadonlySet<ConnectPermission>] => [
  g.vaultId,
  new Set(g.permissions),
];

function derived<K extends object, V>(memo: WeakMap<K, V>, key: K, build: (key: K) => V): V {
  let value = memo.get(key);
  if (value === undefined) {
    value = build(key);
    memo.set(key, value);
  }
  return value;
}

function joseMessage(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'Invalid token: the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'Invalid token: the token is not valid yet';
    if (error.claim === 'aud' || error.claim === 'sub') return 'Invalid token: issued for another server';
    return `Invalid token: bad ${error.claim} claim`;
  }
  return 'Invalid token signature';
}
