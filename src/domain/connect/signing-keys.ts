import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { aad } from '../../crypto/envelope.js';
import { newId } from '../../crypto/ids.js';
import type { Keyring } from '../../crypto/keyring.js';
import { AppError } from '../../errors/app-error.js';
import type { SigningKeyRecord, Stores } from '../../storage/ports.js';

type Key = CryptoKey;

export interface SigningKey {
  kid: string;
  accountId: string;
  privateKey: Key;
}

export interface VerificationKey {
  kid: string;
  accountId: string;
  publicKey: Key;
}

/**
 * Each account signs its Connect tokens with an ES256 (P-256) key. Private keys are sealed under
 * the master key (AAD: account and kid); public keys form the account's JWKS. Rotation makes a
 * new key the signer and keeps every older public key, so tokens signed before keep verifying.
 */
export class SigningKeys {
  readonly #stores: Pick<Stores, 'signingKeys'>;
  readonly #keyring: Keyring;
  /** Imported public keys by kid: importing is far slower than a map lookup on the hot path. */
  readonly #verification = new Map<string, VerificationKey>();
  /**
   * Imported private keys by kid. Which key is current is still read on every `signer()` call,
   * so a rotation (here or on another node) takes effect at once; only the unsealing and import
   * of a known key are skipped.
   */
  readonly #signing = new Map<string, Key>();

  constructor(stores: Pick<Stores, 'signingKeys'>, keyring: Keyring) {
    this.#stores = stores;
    this.#keyring = keyring;
  }

  /**
   * The account's current signing key. Every account gets one when it is created (in the same
   * transaction, audited), so a missing key means the database was altered.
   */
  async signer(accountId: string): Promise<SigningKey> {
    const [record] = await this.#stores.signingKeys.list(accountId);
    if (!record || record.retiredAt !== null) {
      throw new AppError(500, 'integrity_error', `account ${accountId} has no current signing key`, {
        expose: true,
      });
    }
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
    return { kid: record.kid, accountId, privateKey };
  }

  /** Retires the signer (if any) and creates a new one; returns the new key's record. */
  async rotate(
    accountId: string,
    stores: Pick<Stores, 'signingKeys'> = this.#stores,
  ): Promise<SigningKeyRecord> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = newId();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    const privateJwk = Buffer.from(JSON.stringify(await exportJWK(privateKey)), 'utf8');
    const now = new Date().toISOString();
    const record: SigningKeyRecord = {
      kid,
      accountId,
      publicJwk: JSON.stringify(publicJwk),
      privateKey: this.#keyring.sealWithMaster(privateJwk, aad.accountKey(accountId, kid)),
      createdAt: now,
      retiredAt: null,
    };
    privateJwk.fill(0);
    await stores.signingKeys.retireAll(accountId, now);
    await stores.signingKeys.insert(record);
    return record;
  }

  /** The key that verifies tokens with this `kid`, or undefined for an unknown kid. */
  async verifier(kid: string): Promise<VerificationKey | undefined> {
    const cached = this.#verification.get(kid);
    if (cached) return cached;
    const record = await this.#stores.signingKeys.get(kid);
    if (!record) return undefined;
    const key: VerificationKey = {
      kid,
      accountId: record.accountId,
      publicKey: (await importJWK(JSON.parse(record.publicJwk) as JWK, 'ES256')) as Key,
    };
    this.#verification.set(kid, key);
    return key;
  }

  /** Forgets cached keys of an account (it was deleted). */
  forgetAccount(accountId: string): void {
    for (const [kid, key] of this.#verification) {
      if (key.accountId !== accountId) continue;
      this.#verification.delete(kid);
      this.#signing.delete(kid);
    }
  }

  /** The account's public keys as a JWKS document. */
  async jwks(accountId: string): Promise<{ keys: JWK[] }> {
    const records = await this.#stores.signingKeys.list(accountId);
    return { keys: records.map((r) => JSON.parse(r.publicJwk) as JWK) };
  }
}
