/**
 * Storage ports of the OAuth authorization server: the scope catalog (resource servers and their
 * scopes), clients, grants, authorization codes, tokens, login sessions, the login throttle's
 * counts and used client-assertion `jti`s. Like every port, they hold no secret in the clear:
 * codes, tokens, session ids and client secrets are stored as SHA-256 hashes of high-entropy
 * values.
 */

import type { RowHold } from './people.js';

export const ACCESS_TOKEN_FORMATS = ['opaque', 'jwt'] as const;
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number];

export interface ResourceServerRecord {
  id: string;
  accountId: string;
  /** The RFC 8707 resource indicator: an absolute URI, unique within the account. */
  identifier: string;
  name: string;
  tokenFormat: AccessTokenFormat;
  /** Access-token lifetime in seconds. */
  accessTokenTtl: number;
  /** SHA-256 of the secret the resource server presents at introspection. */
  secretHash: Buffer;
  createdAt: string;
}

export interface ScopeRecord {
  accountId: string;
  /** Exact, case-sensitive; one `*` segment makes it dynamic (`vault:*:read`). */
  name: string;
  resourceServerId: string;
  description: string;
  /** Exclusive scopes may be requested only by clients explicitly allowed them. */
  exclusive: boolean;
  createdAt: string;
}

export interface ResourceServerStore {
  /** Inserts the resource server and its scopes together. */
  insert(server: ResourceServerRecord, scopes: ScopeRecord[]): Promise<void>;
  get(accountId: string, id: string): Promise<ResourceServerRecord | undefined>;
  findByIdentifier(accountId: string, identifier: string): Promise<ResourceServerRecord | undefined>;
  findBySecretHash(secretHash: Buffer): Promise<ResourceServerRecord | undefined>;
  list(accountId: string): Promise<ResourceServerRecord[]>;
  /** Every registered scope of the account (the built-in vault API's are not stored). */
  scopes(accountId: string): Promise<ScopeRecord[]>;
  /** Deletes the resource server, its scopes and (by cascade) nothing else. */
  delete(accountId: string, id: string): Promise<boolean>;
}

export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** RFC 8693's grant (grant-token-exchange.ts): a confidential client exchanges a user's access token. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** The grants a registered client may be registered for. */
export const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  TOKEN_EXCHANGE_GRANT,
] as const;
/**
 * RFC 8628's grant. Only the built-in CLI client holds it for now: registering device-flow
 * clients is not offered, so it is not in GRANT_TYPES.
 */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export type GrantType = (typeof GRANT_TYPES)[number] | typeof DEVICE_CODE_GRANT;

export interface ClientRecord {
  /** `kc-` + an id: never the shape of a user id, so a client can never pass for a user. */
  id: string;
  accountId: string;
  name: string;
  authMethod: ClientAuthMethod;
  /** SHA-256 of the client secret; null for public and private_key_jwt clients. */
  secretHash: Buffer | null;
  /** The public JWK Set (JSON text) of a private_key_jwt client. */
  jwks: string | null;
  redirectUris: string[];
  grantTypes: GrantType[];
  /** The scopes this client may request: a subset of the catalog. */
  scopes: string[];
  createdAt: string;
  /**
   * RFC 9449 §5.2 `dpop_bound_access_tokens`: the client always proves possession of a key, so a
   * token request without a DPoP proof is refused (a stolen client credential alone gets nothing).
   */
  dpopBoundAccessTokens: boolean;
  /**
   * RFC 9126 §6 `require_pushed_authorization_requests`: the client's authorization requests are
   * taken only through the PAR endpoint.
   */
  requirePushedRequests: boolean;
  /**
   * Held to the FAPI 2.0 Security Profile (domain/oauth/client-profile.ts): PAR, DPoP and
   * private_key_jwt, checked at registration and enforced on every request.
   */
  fapi2SecurityProfile: boolean;
}

export interface ClientStore {
  insert(client: ClientRecord): Promise<void>;
  /** By client id alone: the token endpoint learns the account from the client. */
  findById(id: string): Promise<ClientRecord | undefined>;
  /** The account's client; with `hold`, the row is held until the transaction ends (RowHold). */
  get(accountId: string, id: string, hold?: RowHold): Promise<ClientRecord | undefined>;
  list(accountId: string): Promise<ClientRecord[]>;
  /**
   * Replaces what an administrator may change of a client — name, redirect URIs, grant types,
   * scopes, public keys and the profile settings — from `client`; its id, account, auth method,
   * secret and creation time stay. False when there is no such client.
   */
  replaceSettings(client: ClientRecord): Promise<boolean>;
  /** Replaces a client's secret hash (a rotation); false when there is no such client. */
  replaceSecret(accountId: string, id: string, secretHash: Buffer): Promise<boolean>;
  delete(accountId: string, id: string): Promise<boolean>;
}

/**
 * One RFC 9396 authorization detail of the `keyhold_vault` type, as stored: vault ids, optionally
 * narrowed to item ids of a single vault (and, for a read, to field ids of those items), and the
 * actions allowed there (the domain validates it: src/domain/oauth/authorization-details.ts).
 */
export interface VaultAuthorizationDetail {
  type: 'keyhold_vault';
  vaults: string[];
  items?: string[];
  fields?: string[];
  actions: ('read' | 'write')[];
}

/** What a user approved for one client at one resource server. */
export interface GrantRecord {
  id: string;
  accountId: string;
  userId: string;
  clientId: string;
  resource: string;
  scopes: string[];
  createdAt: string;
  updatedAt: string;
  /** The authorization details the user approved last (RFC 9396); absent when none were asked. */
  authorizationDetails?: VaultAuthorizationDetail[];
}

export interface GrantStore {
  insert(grant: GrantRecord): Promise<void>;
  /** The grant; with `hold`, the row is held until the transaction ends (RowHold). */
  get(accountId: string, id: string, hold?: RowHold): Promise<GrantRecord | undefined>;
  find(userId: string, clientId: string, resource: string): Promise<GrantRecord | undefined>;
  /** Replaces the approved scopes of an existing grant (consent again, to more or fewer). */
  updateScopes(id: string, scopes: string[], updatedAt: string): Promise<void>;
  /** Replaces the grant's approved authorization details (RFC 9396); null removes them. */
  updateAuthorizationDetails(id: string, details: VaultAuthorizationDetail[] | null): Promise<void>;
  listForUser(accountId: string, userId: string): Promise<GrantRecord[]>;
  listForAccount(accountId: string): Promise<GrantRecord[]>;
  /** Deletes the grant; its codes and tokens go with it (cascade). */
  delete(accountId: string, id: string): Promise<boolean>;
  /** Deletes every grant of a user, with their codes and tokens; returns how many. */
  deleteForUser(accountId: string, userId: string): Promise<number>;
}

export interface AuthorizationCodeRecord {
  id: string;
  codeHash: Buffer;
  accountId: string;
  clientId: string;
  userId: string;
  grantId: string;
  redirectUri: string;
  resource: string;
  scopes: string[];
  /** The PKCE S256 challenge. */
  codeChallenge: string;
  createdAt: string;
  expiresAt: string;
  /** For an OpenID Connect request (`openid` granted): the sign-in behind it, for its ID tokens. */
  signIn?: CodeSignIn;
  /**
   * RFC 9449 §10: the thumbprint of the DPoP key the code is bound to; it is redeemed only with a
   * proof signed by that key. Absent: not bound.
   */
  dpopJkt?: string;
  /** The authorization details its consent approved (RFC 9396), for its tokens. */
  authorizationDetails?: VaultAuthorizationDetail[];
}

/** The sign-in an OpenID Connect code was issued under, and the request's `nonce`. */
export interface CodeSignIn {
  /** When the user signed in (the session opened): the ID token's `auth_time`. */
  authTime: string;
  /** How (RFC 8176): the session's `amr`. */
  amr: string[];
  nonce: string | null;
}

export interface AuthorizationCodeStore {
  insert(code: AuthorizationCodeRecord): Promise<void>;
  findByHash(
    codeHash: Buffer,
  ): Promise<(AuthorizationCodeRecord & { consumedAt: string | null }) | undefined>;
  /** By id: the code a refresh token descends from (its sign-in, for a new ID token). */
  findById(id: string): Promise<(AuthorizationCodeRecord & { consumedAt: string | null }) | undefined>;
  /** Marks the code used; false when it already was (a replay). */
  consume(id: string, at: string): Promise<boolean>;
  /** Deletes codes that expired before `before`; returns how many. */
  purgeExpired(before: string): Promise<number>;
}

export const TOKEN_KINDS = ['access', 'refresh'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export interface OAuthTokenRecord {
  /** Also the `jti` of a JWT access token. */
  id: string;
  /** SHA-256 of the token string as the client holds it (opaque or JWT). */
  tokenHash: Buffer;
  kind: TokenKind;
  accountId: string;
  clientId: string;
  /** Null for client-credentials tokens, which act for the client itself. */
  userId: string | null;
  grantId: string | null;
  /** The authorization code this token descends from, through any refresh rotations. */
  codeId: string | null;
  resource: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  /** Refresh tokens: when it was exchanged for a new one. Presenting it again is reuse. */
  rotatedAt: string | null;
  /**
   * The RFC 7638 JWK thumbprint of the DPoP key the token is bound to (RFC 9449): honoured only
   * with a proof signed by that key. Null for a bearer token.
   */
  jkt: string | null;
  /**
   * RFC 8693 §4.1: who acts for the user in a token made by a token exchange with an actor token
   * (the current actor, prior actors nested in its `act`). Absent for any other token.
   */
  act?: ActorClaim;
  /**
   * The authorization details the token was issued with (RFC 9396): it may do only what one of
   * them allows. Absent: what its scopes allow.
   */
  authorizationDetails?: VaultAuthorizationDetail[];
}

/** An RFC 8693 `act` claim: the actor (`sub`, and the client it acted through), and prior actors. */
export interface ActorClaim {
  sub: string;
  client_id?: string;
  act?: ActorClaim;
}

export interface OAuthTokenStore {
  insert(token: OAuthTokenRecord): Promise<void>;
  findByHash(tokenHash: Buffer): Promise<OAuthTokenRecord | undefined>;
  /** Marks a refresh token exchanged; false when it already was (reuse). */
  rotate(id: string, at: string): Promise<boolean>;
  revoke(id: string, at: string): Promise<void>;
  /** Revokes every token descending from an authorization code (code replay). */
  revokeByCode(codeId: string, at: string): Promise<void>;
  /** Revokes every token of a grant (refresh-token reuse). */
  revokeByGrant(grantId: string, at: string): Promise<void>;
  /** Revokes the client's tokens issued under no user grant (client credentials). */
  revokeGrantless(clientId: string, at: string): Promise<void>;
  /**
   * Narrows every live token of a grant to `scopes` (the grant's new scopes, after the user
   * removed some): each keeps what it had of them, and one left with none is revoked. Rotated
   * refresh tokens are left alone (they only ever serve to detect reuse). Run it in a
   * transaction. Returns how many tokens changed.
   */
  narrowByGrant(grantId: string, scopes: readonly string[], at: string): Promise<number>;
  /**
   * When each of these grants last had a token issued (a code exchanged or a refresh): the
   * newest `createdAt` among its tokens still on record. Grants without one are absent.
   */
  lastIssuedByGrant(grantIds: readonly string[]): Promise<Map<string, string>>;
  /** Deletes tokens that expired before `before`; returns how many. */
  purgeExpired(before: string): Promise<number>;
}

export const DEVICE_CODE_STATUSES = ['pending', 'approved', 'denied', 'consumed'] as const;
export type DeviceCodeStatus = (typeof DEVICE_CODE_STATUSES)[number];

/**
 * One RFC 8628 device authorization: the device code (high entropy, stored as its SHA-256) the
 * client polls with, and the user code (short, typed by a person; stored as the SHA-256 of its
 * normalised form) a signed-in user enters to approve or deny it. `pending` → `approved` (with
 * the user and grant) or `denied`; an approved one becomes `consumed` in the transaction that
 * registers its tokens, so it yields tokens once.
 */
export interface DeviceCodeRecord {
  id: string;
  deviceCodeHash: Buffer;
  userCodeHash: Buffer;
  accountId: string;
  clientId: string;
  resource: string;
  scopes: string[];
  status: DeviceCodeStatus;
  userId: string | null;
  grantId: string | null;
  /** The minimum seconds between two polls; raised by 5 at every `slow_down`. */
  interval: number;
  /** Epoch milliseconds of the last poll that was let through, or null before the first. */
  lastPolledAt: number | null;
  createdAt: string;
  expiresAt: string;
}

export type DevicePoll = 'ok' | 'slow_down';

export interface DeviceCodeStore {
  insert(code: DeviceCodeRecord): Promise<void>;
  findByDeviceCodeHash(hash: Buffer): Promise<DeviceCodeRecord | undefined>;
  findByUserCodeHash(accountId: string, hash: Buffer): Promise<DeviceCodeRecord | undefined>;
  /**
   * Records a poll at `now` (epoch ms) when at least `interval` seconds passed since the last
   * one let through; otherwise raises the interval by 5 seconds and answers `slow_down`. Of
   * concurrent polls, one at most is let through.
   */
  poll(id: string, now: number): Promise<DevicePoll>;
  /** pending → approved with its user and grant; false when it was no longer pending. */
  approve(id: string, userId: string, grantId: string): Promise<boolean>;
  /** pending → denied; false when it was no longer pending. */
  deny(id: string): Promise<boolean>;
  /** approved → consumed; false when it was not approved (already consumed: a second poll). */
  consume(id: string): Promise<boolean>;
  /** Deletes codes that expired before `before`; returns how many. */
  purgeExpired(before: string): Promise<number>;
}

export interface LoginSessionRecord {
  id: string;
  /** SHA-256 of the cookie value. */
  secretHash: Buffer;
  accountId: string;
  userId: string;
  /** Sent back in every form of the session; compared in constant time (CSRF). */
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
  /**
   * How the user proved who they are (RFC 8176): `["pwd"]`, or `["pwd", "otp", "mfa"]` after a
   * second step. Absent on sessions opened before it was recorded: they count as `["pwd"]`.
   */
  amr?: string[];
}

export interface LoginSessionStore {
  insert(session: LoginSessionRecord): Promise<void>;
  findByHash(secretHash: Buffer): Promise<LoginSessionRecord | undefined>;
  delete(id: string): Promise<void>;
  /** Ends every session of a user but `exceptId` (the one changing its password); returns how many. */
  deleteForUser(userId: string, exceptId?: string): Promise<number>;
  /** Deletes sessions that expired before `before`; returns how many. */
  purgeExpired(before: string): Promise<number>;
}

/**
 * One key of the login throttle (domain/login/throttle.ts): the SHA-256 of what it counts
 * (account + email + address, or account + email), so neither an email nor a mistyped password
 * in the email field is stored in the clear, and every row has the same small size.
 */
export interface LoginAttemptKey {
  key: Buffer;
  /** Attempts the key lets through before each further one waits. */
  free: number;
  /** The key forgets its attempts this long after its last one, or after its lock ends if later. */
  forgetAfterMs: number;
}

export type LoginAttemptReservation = { reserved: true } | { reserved: false; retryAfterMs: number };

/**
 * The login throttle's counts, shared by every node over one database. Times are epoch
 * milliseconds (the lock arithmetic happens in the statement, so it is numbers, not RFC 3339).
 */
export interface LoginAttemptStore {
  /**
   * Reserves one attempt on every key before the password is checked, atomically: when any key is
   * locked at `now`, nothing is recorded and the answer is the longest wait. Otherwise each key
   * counts one more attempt (a failure, unless `clear` follows), and a key whose count reaches
   * its free attempts is locked for the wait `waitsMs` gives, in the same statement that counts it — so
   * of many concurrent attempts, exactly the free ones are reserved. A key past its forget time
   * counts from zero again. A SQL backend runs, per key in key order, an `INSERT … ON CONFLICT
   * (key) DO UPDATE … WHERE locked_until <= now RETURNING`; no row back means locked.
   *
   * `waitsMs[n]` is the wait after the nth attempt past a key's free ones (from 0), the last
   * entry repeating.
   */
  reserve(
    keys: readonly LoginAttemptKey[],
    waitsMs: readonly number[],
    now: number,
  ): Promise<LoginAttemptReservation>;
  /** Forgets the keys' attempts (a successful login). */
  clear(keys: readonly Buffer[]): Promise<void>;
  /** Deletes keys whose forget time is before `before` (epoch ms); returns how many. */
  purgeExpired(before: number): Promise<number>;
}

/**
 * One-time identifiers already used: the `jti`s of client assertions (RFC 7523 §3) and of DPoP
 * proofs (RFC 9449 §11.1), shared by every node over one database so an assertion or proof
 * replayed to another node is refused too. Keys are
 * SHA-256 hashes; times are epoch milliseconds.
 */
export interface UsedJtiStore {
  /**
   * Records `key` as used until `expiresAt`; false when it is recorded already and that record
   * has not expired at `now` (a replay). Atomic: of any number of concurrent claims of one key,
   * from any number of nodes, exactly one is true. A SQL backend runs one `INSERT … ON CONFLICT
   * (key) DO UPDATE … WHERE expires_at <= now RETURNING`: no row back means used.
   */
  claim(key: Buffer, expiresAt: number, now: number): Promise<boolean>;
  /** Deletes records that expired before `before`; returns how many. */
  purgeExpired(before: number): Promise<number>;
}

/**
 * One pushed authorization request (RFC 9126): the `request_uri` handed to the client (stored
 * as its SHA-256) and the parameters of the authorization request it stands for, validated when
 * pushed. It is bound to the client that pushed it. The first use at the authorization endpoint
 * `opens` it (and may move `expiresAt` on, to give the person time to sign in and approve); the
 * one answer it gets (a code or an error) `consumes` it.
 */
export interface PushedRequestRecord {
  id: string;
  uriHash: Buffer;
  accountId: string;
  clientId: string;
  /** The authorization request's parameters as a query string. */
  parameters: string;
  createdAt: string;
  expiresAt: string;
  openedAt: string | null;
  consumedAt: string | null;
}

export interface PushedRequestStore {
  insert(request: PushedRequestRecord): Promise<void>;
  findByHash(uriHash: Buffer): Promise<PushedRequestRecord | undefined>;
  /**
   * The first use: sets `openedAt` to `at` and `expiresAt` to `until`, only while the request is
   * unopened, unconsumed and unexpired at `at`; false otherwise (nothing changes).
   */
  open(id: string, at: string, until: string): Promise<boolean>;
  /**
   * Marks the request used; false when it already was or has expired at `at`. Atomic: of any
   * number of concurrent consumptions, from any number of nodes, exactly one is true (one
   * `UPDATE … WHERE consumed_at IS NULL AND expires_at > at`).
   */
  consume(id: string, at: string): Promise<boolean>;
  /** Deletes requests that expired before `before`; returns how many. */
  purgeExpired(before: string): Promise<number>;
}

export interface OAuthStores {
  readonly resourceServers: ResourceServerStore;
  readonly clients: ClientStore;
  readonly grants: GrantStore;
  readonly authorizationCodes: AuthorizationCodeStore;
  readonly deviceCodes: DeviceCodeStore;
  readonly oauthTokens: OAuthTokenStore;
  readonly loginSessions: LoginSessionStore;
  readonly loginAttempts: LoginAttemptStore;
  readonly usedJtis: UsedJtiStore;
  readonly pushedRequests: PushedRequestStore;
}
