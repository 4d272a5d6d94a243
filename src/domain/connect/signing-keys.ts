import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { aad } from '../../crypto/envelope.js';
import { newId } from '../../crypto/ids.js';
import type { Keyring } from '../../crypto/keyring.js';
import { AppError, conflict, notFound } from '../../errors/app-error.js';
import type { SigningKeyKind, SigningKeyRecord, Storage, Stores } from '../../storage/ports.js';
import { recordAudit } from '../audit/audit-log.js';
import { type RequestContext, systemContext } from '../context.js';
import { MAX_ACCESS_TOKEN_TTL } from '../oauth/token-issuer.js';

type Key = CryptoKey;

export interface SigningKey {
  kid: string;
  accountId: string;
  kind: SigningKeyKind;
  privateKey: Key;
}

export interface VerificationKey {
  kid: string;
  accountId: string;
  /** What the key signs: a verifier refuses a token whose key is of another kind. */
  kind: SigningKeyKind;
  publicKey: Key;
}

/**
 * Each account signs with ES256 (P-256) keys, one current key per kind of token: `connect` for
 * Connect tokens, `oauth` for the JWTs of its authorization server (RFC 9068 access tokens).
 * Separate keys keep a token of one kind from ever passing for the other (RFC 8725 §3.12), and
 * let each kind rotate alone. Private keys are sealed under the master key (AAD: account and
 * kid). Rotation makes a new key of a kind the signer and keeps the older public keys, so tokens
 * signed before keep verifying.
 *
 * A key's states: *current* (signs and verifies), *previous* (`retiredAt` set: verifies what it
 * signed), *withdrawn* (`withdrawnAt` set, for good: verifies nothing). Only a previous key can
 * be withdrawn; the current one must be rotated away first, so a kind always has a signer.
 */
export class SigningKeys {
  readonly #storage: Pick<Storage, 'signingKeys' | 'transaction'>;
  readonly #keyring: Keyring;
  /**
   * Imported public keys by kid: importing is far slower than a map lookup on the hot path. What a
   * kid names never changes (a rotation makes a new kid); only withdrawing it or deleting its
   * account removes it. Both maps are emptied on every `signing-keys` change any node commits (a
   * rotation, a withdrawal, a new account, an account deleted), so no node keeps a withdrawn key
   * or a deleted account's keys: on the node that commits it before the change is answered, on
   * the others once the change feed delivers it.
   */
  readonly #verification = new Map<string, VerificationKey>();
  /**
   * Imported private keys by kid. Which key is current is still read on every `signer()` call,
   * so a rotation (here or on another node) takes effect at once; only the unsealing and import
   * of a known key are skipped.
   */
  readonly #signing = new Map<string, Key>();

  constructor(storage: Pick<Storage, 'signingKeys' | 'transaction' | 'changes'>, keyring: Keyring) {
    this.#storage = storage;
    this.#keyring = keyring;
    storage.changes.subscribe((topics) => {
      if (!topics.has('signing-keys')) return;
      this.#verification.clear();
      this.#signing.clear();
    });
  }

  /** The account's current signing key of this kind. */
  async signer(accountId: string, kind: SigningKeyKind): Promise<SigningKey> {
    const record =
      (await this.#storage.signingKeys.current(accountId, kind)) ?? (await this.#firstKey(accountId, kind));
    let privateKey = this.#signing.get(record.kid);
    if (!privateKey) {
      const jwk = JSON.parse(
        this.#keyring
          .openWithMaster(
            record.privateKey,
            aad.accountKey(accountId, record.kid),
            `signing key ${record.kid}`,
          )
          .toString('utf8'),
      ) as JWK;
      privateKey = (await importJWK(jwk, 'ES256')) as Key;
      this.#signing.set(record.kid, privateKey);
    }
    return { kid: record.kid, accountId, kind, privateKey };
  }

  /**
   * Every account is created with a key of each kind (in the same transaction, audited), so a
   * missing Connect key means the database was altered. An account created before kinds were
   * separated has no OAuth key yet (its old key became its Connect key): it gets one the first
   * time it signs an OAuth JWT, audited as the system. The transaction locks the account and
   * looks again first, so concurrent first uses, on any node, make one key; the unique index on
   * current keys backs that up.
   */
  async #firstKey(accountId: string, kind: SigningKeyKind): Promise<SigningKeyRecord> {
    if (kind !== 'oauth') {
      throw new AppError(500, 'integrity_error', `account ${accountId} has no current ${kind} signing key`, {
        expose: true,
      });
    }
    return this.#storage.transaction(async (tx) => {
      await tx.accounts.lock(accountId);
      return (
        (await tx.signingKeys.current(accountId, kind)) ??
        (await this.create(accountId, kind, tx, systemContext(accountId)))
      );
    });
  }

  /**
   * Retires the current key of this kind (if any) and makes a new one, with its audit event (as
   * `ctx`), in the caller's transaction. Keys of the other kind are left alone. The account is
   * locked first, so that rotations at once (on several nodes) each retire the key current when
   * they run, instead of two keys ending up current (which the unique index refuses).
   */
  async create(
    accountId: string,
    kind: SigningKeyKind,
    stores: Pick<Stores, 'accounts' | 'signingKeys' | 'audit'>,
    ctx: RequestContext,
  ): Promise<SigningKeyRecord> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = newId();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    const privateJwk = Buffer.from(JSON.stringify(await exportJWK(privateKey)), 'utf8');
    const now = new Date().toISOString();
    const record: SigningKeyRecord = {
      kid,
      accountId,
      kind,
      publicJwk: JSON.stringify(publicJwk),
      privateKey: this.#keyring.sealWithMaster(privateJwk, aad.accountKey(accountId, kid)),
      createdAt: now,
      retiredAt: null,
      oauthUntil: null,
      withdrawnAt: null,
    };
    privateJwk.fill(0);
    await stores.accounts.lock(accountId);
    await stores.signingKeys.retireCurrent(accountId, kind, now);
    await stores.signingKeys.insert(record);
    await recordAudit(stores.audit, ctx, {
      action: 'CREATE',
      resourceType: 'SIGNING_KEY',
      resourceId: kid,
      result: 'SUCCESS',
    });
    return record;
  }

  /**
   * Withdraws a previous key of the account for good, with its audit event (as `ctx`), in the
   * caller's transaction: from its commit on, no token it signed verifies (see `verifier`, which
   * every node reloads on the `signing-keys` change this write announces, and `jwks`). A kid of
   * another account is not found, like an unknown one. The current key of its kind is refused:
   * rotate first. A key withdrawn already is answered as it is, with no second event.
   */
  async withdraw(
    accountId: string,
    kid: string,
    stores: Pick<Stores, 'signingKeys' | 'audit'>,
    ctx: RequestContext,
  ): Promise<SigningKeyRecord> {
    const record = await stores.signingKeys.get(kid);
    if (!record || record.accountId !== accountId) throw notFound(`signing key ${kid} not found`);
    if (record.withdrawnAt !== null) return record;
    if (record.retiredAt === null) {
      throw conflict(
        `signing key ${kid} is the current ${record.kind} key: rotate the ${record.kind} key first (POST /api/admin/keys/rotate, \`keyhold keys rotate --kind ${record.kind}\`), then withdraw this one`,
        'signing_key_current',
      );
    }
    const at = new Date().toISOString();
    // False only if another request withdrew it since the read above: the state asked for holds.
    if (!(await stores.signingKeys.withdraw(accountId, kid, at))) {
      return (await stores.signingKeys.get(kid)) ?? record;
    }
    await recordAudit(stores.audit, ctx, {
      action: 'DELETE',
      resourceType: 'SIGNING_KEY',
      resourceId: kid,
      result: 'SUCCESS',
    });
    return { ...record, withdrawnAt: at };
  }

  /**
   * The key that verifies tokens with this `kid`, or undefined for an unknown kid or a withdrawn
   * key. Callers that cache what a key proved ask again on every use (ConnectVerifier), so a
   * withdrawal ends those proofs too: a key in memory is answered at once, not as a promise, so
   * that asking costs such a caller next to nothing.
   */
  verifier(kid: string): VerificationKey | undefined | Promise<VerificationKey | undefined> {
    return this.#verification.get(kid) ?? this.#loadVerifier(kid);
  }

  async #loadVerifier(kid: string): Promise<VerificationKey | undefined> {
    const record = await this.#storage.signingKeys.get(kid);
    if (!record || record.withdrawnAt !== null) return undefined;
    // A key's account and kind never change, so caching them with the key is safe.
    const key: VerificationKey = {
      kid,
      accountId: record.accountId,
      kind: record.kind,
      publicKey: (await importJWK(JSON.parse(record.publicJwk) as JWK, 'ES256')) as Key,
    };
    this.#verification.set(kid, key);
    return key;
  }

  /**
   * The public keys that verify the account's tokens of one kind, as a JWKS document. Connect
   * keys stay published until withdrawn: a Connect token may never expire. A retired OAuth key stays
   * until the longest access token it can have signed has expired; a key from before kinds
   * were separated is in the OAuth set too until its `oauthUntil`.
   */
  async jwks(accountId: string, kind: SigningKeyKind): Promise<{ keys: JWK[] }> {
    const records = await this.#storage.signingKeys.list(accountId);
    const now = Date.now();
    return {
      keys: records.filter((r) => verifies(r, kind, now)).map((r) => JSON.parse(r.publicJwk) as JWK),
    };
  }
}

/** Whether a key belongs in the JWKS of `kind` at `now` (milliseconds). A withdrawn key is in none. */
function verifies(record: SigningKeyRecord, kind: SigningKeyKind, now: number): boolean {
  if (record.withdrawnAt !== null) return false;
  if (kind === 'connect') return record.kind === 'connect';
  if (record.kind === 'connect') return record.oauthUntil !== null && Date.parse(record.oauthUntil) > now;
  return record.retiredAt === null || Date.parse(record.retiredAt) + MAX_ACCESS_TOKEN_TTL * 1000 > now;
}
