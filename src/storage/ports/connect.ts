/** Storage ports: Signing keys, Connect servers and Connect tokens. */

import type { ConnectPermission } from '../../domain/access/permissions.js';

/**
 * What a signing key signs (RFC 8725 §3.12: one key per kind of token). A verifier accepts a
 * token only from a key of its own kind, so a valid signature of one kind never passes for the
 * other.
 */
export const SIGNING_KEY_KINDS = ['connect', 'oauth'] as const;
export type SigningKeyKind = (typeof SIGNING_KEY_KINDS)[number];

/** An account's ES256 signing key. The private JWK is sealed under the master key. */
export interface SigningKeyRecord {
  kid: string;
  accountId: string;
  kind: SigningKeyKind;
  /** Public JWK as JSON text; published in the JWKS of its kind. */
  publicJwk: string;
  privateKey: Buffer;
  createdAt: string;
  /**
   * Set when a newer key of its kind took over signing (the key is then "previous"); a retired
   * key still verifies its tokens, unless it was also withdrawn.
   */
  retiredAt: string | null;
  /**
   * Only on keys made before kinds were separated (migration 0009), which signed OAuth JWT
   * access tokens as well: the expiry of the last of those, until which the key stays in the
   * OAuth JWKS too. Null on every key made since.
   */
  oauthUntil: string | null;
  /**
   * Set when an administrator withdrew the key for good (a leaked key): from then on it verifies
   * nothing, anywhere, and is in no JWKS. Only a retired key can be withdrawn, and nothing clears
   * it.
   */
  withdrawnAt: string | null;
}

export interface SigningKeyStore {
  insert(key: SigningKeyRecord): Promise<void>;
  get(kid: string): Promise<SigningKeyRecord | undefined>;
  /** The account's signing key of this kind, if it has one. */
  current(accountId: string, kind: SigningKeyKind): Promise<SigningKeyRecord | undefined>;
  /** Every kind, newest first. */
  list(accountId: string): Promise<SigningKeyRecord[]>;
  /** Retires the current key of this kind (if any); keys of the other kind are left alone. */
  retireCurrent(accountId: string, kind: SigningKeyKind, at: string): Promise<void>;
  /**
   * Withdraws one of the account's retired keys for good. False (nothing changed) when the
   * account has no such key, it is still current, or it was withdrawn already.
   */
  withdraw(accountId: string, kid: string, at: string): Promise<boolean>;
}

export interface ConnectServerRecord {
  id: string;
  accountId: string;
  name: string;
  /** SHA-256 of the server secret held in its credentials file. */
  secretHash: Buffer;
  createdAt: string;
  /**
   * The public half of the server's key pair, a JWK as JSON text (crypto/server-key.ts); null for
   * a server made before nodes kept replicas, until a new credentials file is made for it.
   */
  publicKey: string | null;
}

export interface ConnectServerStore {
  insert(server: ConnectServerRecord, vaultIds: string[]): Promise<void>;
  get(accountId: string, id: string): Promise<ConnectServerRecord | undefined>;
  findById(id: string): Promise<ConnectServerRecord | undefined>;
  findBySecretHash(secretHash: Buffer): Promise<ConnectServerRecord | undefined>;
  list(accountId: string): Promise<ConnectServerRecord[]>;
  vaults(serverId: string): Promise<string[]>;
  addVault(serverId: string, vaultId: string): Promise<void>;
  removeVault(serverId: string, vaultId: string): Promise<void>;
  delete(accountId: string, id: string): Promise<boolean>;
  /**
   * New credentials: replaces the secret's hash (the old secret stops working at once) and the
   * public key. False when there is no such server.
   */
  replaceCredentials(accountId: string, id: string, secretHash: Buffer, publicKey: string): Promise<boolean>;
}

export interface ConnectGrant {
  vaultId: string;
  permissions: ConnectPermission[];
}

export interface ConnectTokenRecord {
  /** The token's `jti`. */
  id: string;
  accountId: string;
  serverId: string;
  name: string;
  grants: ConnectGrant[];
  /** SHA-256 of the JWT's signature: the token itself is never stored. */
  signatureHash: Buffer;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  /**
   * The user's OAuth grant the token was exchanged under (the Connect bridge of token exchange);
   * absent for a token an administrator made. Revoked with the grant.
   */
  oauthGrantId?: string;
}

/**
 * Whose OAuth grants: one grant, every grant of a user, or every grant of a client (what a grant
 * revocation, a user change and a client deletion end).
 */
export type OAuthGrantLink =
  | { accountId: string; grantId: string }
  | { accountId: string; userId: string }
  | { accountId: string; clientId: string };

export interface ConnectTokenStore {
  insert(token: ConnectTokenRecord): Promise<void>;
  get(id: string): Promise<ConnectTokenRecord | undefined>;
  list(serverId: string): Promise<ConnectTokenRecord[]>;
  /**
   * The ids of the account's Connect tokens exchanged under the linked OAuth grants (grants still
   * on record: call it before deleting them) that are neither revoked nor expired at `now`.
   */
  exchangedUnder(link: OAuthGrantLink, now: string): Promise<string[]>;
  revoke(accountId: string, id: string, at: string): Promise<boolean>;
  /**
   * Deletes the Connect tokens exchanged under OAuth grants that expired before `before`; the
   * ones an administrator made stay listed for the record, expired or not. Returns how many.
   */
  purgeExchanged(before: string): Promise<number>;
}
