import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import { auditUnavailable } from '../../errors/app-error.js';
import type {
  ActorClaim,
  ClientRecord,
  OAuthTokenRecord,
  Storage,
  Stores,
  VaultAuthorizationDetail,
} from '../../storage/ports.js';
import { type AuditFacts, auditEvent, recordAudit } from '../audit/audit-log.js';
import type { SigningKeys } from '../connect/signing-keys.js';
import type { RequestContext } from '../context.js';
import type { ResourceServerInfo } from './catalog.js';
import { signES256 } from './es256-jwt.js';

/** The RFC 6749 §5.1 token response. `scope` is always present. */
export interface TokenResponse {
  access_token: string;
  /** `DPoP` for a token bound to a DPoP key (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** The user's grant the tokens were issued under (grant management, grant-management.ts). */
  grant_id?: string;
  /** OpenID Connect: when `openid` was granted (id-token.ts). */
  id_token?: string;
  /** RFC 8693 §2.2.1: what a token exchange issued (grant-token-exchange.ts). */
  issued_token_type?: string;
  /** RFC 9396 §7: the authorization details the tokens were issued with. */
  authorization_details?: VaultAuthorizationDetail[];
}

export interface IssueRequest {
  issuer: string;
  client: ClientRecord;
  /** The user the tokens act for; null for client credentials. */
  userId: string | null;
  grantId: string | null;
  codeId: string | null;
  resource: ResourceServerInfo;
  scopes: string[];
  withRefreshToken: boolean;
  /**
   * The thumbprint of the DPoP key the request proved (RFC 9449), or null. The access token is
   * bound to it; so is the refresh token of a public client, which has no other sender constraint
   * (a confidential client's refresh token is bound to its client authentication, §5).
   */
  jkt: string | null;
  /** RFC 8693 §4.1: the actor of a delegated token (token exchange); absent otherwise. */
  act?: ActorClaim;
  /** The access token's lifetime in seconds, when shorter than the resource server's (token exchange). */
  ttl?: number;
  /** The approved RFC 9396 authorization details the tokens carry (absent: none). */
  authorizationDetails?: VaultAuthorizationDetail[];
}

export const ACCESS_TOKEN_PREFIX = 'khat';
export const REFRESH_TOKEN_PREFIX = 'khrt';
/**
 * The longest an access token lives (a resource server's `accessTokenTtl` is at most this): a
 * retired OAuth signing key stays in the JWKS this long, until every JWT it signed has expired.
 */
export const MAX_ACCESS_TOKEN_TTL = 86_400;
/** Refresh tokens rotate on every use; an unused one ends after 30 days. */
export const REFRESH_TOKEN_TTL = 30 * 24 * 3600;

/** Tokens minted but not yet registered: nothing is valid until `registerTokens` commits. */
export interface MintedTokens {
  records: OAuthTokenRecord[];
  response: TokenResponse;
}

/**
 * Mints an access token (opaque, or an RFC 9068 JWT when the resource server asks for one) and
 * optionally a refresh token. Both are registered by the SHA-256 of the string the client holds,
 * so introspection and revocation work the same for either format. Minting reads the signing
 * key, so it happens before the caller's transaction opens; the transaction then registers.
 */
export async function mintTokens(keys: SigningKeys, request: IssueRequest): Promise<MintedTokens> {
  const now = Math.floor(Date.now() / 1000);
  const ttl = Math.min(request.ttl ?? Number.POSITIVE_INFINITY, request.resource.accessTokenTtl);
  const accessId = newId();
  const accessToken =
    request.resource.tokenFormat === 'jwt'
      ? await signAccessToken(keys, request, accessId, now, ttl)
      : newBearerSecret(ACCESS_TOKEN_PREFIX);
  const base = {
    accountId: request.client.accountId,
    clientId: request.client.id,
    userId: request.userId,
    grantId: request.grantId,
    codeId: request.codeId,
    resource: request.resource.identifier,
    scopes: request.scopes,
    createdAt: new Date(now * 1000).toISOString(),
    revokedAt: null,
    rotatedAt: null,
    ...(request.authorizationDetails === undefined
      ? {}
      : { authorizationDetails: request.authorizationDetails }),
  };
  const refreshJkt = request.client.authMethod === 'none' ? request.jkt : null;
  const records: OAuthTokenRecord[] = [
    {
      ...base,
      id: accessId,
      tokenHash: hashSecret(accessToken),
      kind: 'access',
      expiresAt: new Date((now + ttl) * 1000).toISOString(),
      jkt: request.jkt,
      ...(request.act === undefined ? {} : { act: request.act }),
    },
  ];
  let refreshToken: string | undefined;
  if (request.withRefreshToken) {
    refreshToken = newBearerSecret(REFRESH_TOKEN_PREFIX);
    records.push({
      ...base,
      id: newId(),
      tokenHash: hashSecret(refreshToken),
      kind: 'refresh',
      expiresAt: new Date((now + REFRESH_TOKEN_TTL) * 1000).toISOString(),
      jkt: refreshJkt,
    });
  }
  return {
    records,
    response: {
      access_token: accessToken,
      token_type: request.jkt === null ? 'Bearer' : 'DPoP',
      expires_in: ttl,
      scope: request.scopes.join(' '),
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      ...(request.grantId === null ? {} : { grant_id: request.grantId }),
      ...(request.authorizationDetails === undefined
        ? {}
        : { authorization_details: request.authorizationDetails }),
    },
  };
}

const issuedEvent = (record: OAuthTokenRecord): AuditFacts => ({
  action: 'CREATE',
  resourceType: 'OAUTH_TOKEN',
  resourceId: record.id,
  result: 'SUCCESS',
});

/** Registers minted tokens with their audit events, in the caller's transaction. */
export async function registerTokens(
  stores: Pick<Stores, 'oauthTokens' | 'audit'>,
  ctx: RequestContext,
  minted: MintedTokens,
): Promise<TokenResponse> {
  for (const record of minted.records) {
    await stores.oauthTokens.insert(record);
    await recordAudit(stores.audit, ctx, issuedEvent(record));
  }
  return minted.response;
}

/**
 * Registers minted tokens with their audit events, for a grant that writes nothing else (client
 * credentials): the storage commits them together and durably, with other issuances of the
 * moment and off the serving thread where it can (Storage.insertIssuedTokens). Fails closed like
 * recordAudit: nothing is answered unless tokens and events are both on disk.
 */
export async function registerIssuedTokens(
  storage: Pick<Storage, 'insertIssuedTokens'>,
  ctx: RequestContext,
  minted: MintedTokens,
): Promise<TokenResponse> {
  const events = minted.records.map((record) => auditEvent(ctx, issuedEvent(record)));
  try {
    await storage.insertIssuedTokens(minted.records, events);
  } catch (cause) {
    throw auditUnavailable(cause);
  }
  return minted.response;
}

/**
 * RFC 9068: `typ: at+jwt`, with iss, exp, aud, sub, client_id, iat, jti and scope; for a
 * DPoP-bound token, `cnf.jkt` (RFC 9449 §6.1), so a resource server verifying it locally knows
 * which key's proof to ask for; for a delegated one, `act` (RFC 8693 §4.1); with RFC 9396
 * details, `authorization_details` (§9.1).
 */
async function signAccessToken(
  keys: SigningKeys,
  request: IssueRequest,
  jti: string,
  now: number,
  ttl: number,
): Promise<string> {
  const signer = await keys.signer(request.client.accountId, 'oauth');
  return signES256(
    { kid: signer.kid, typ: 'at+jwt' },
    {
      client_id: request.client.id,
      scope: request.scopes.join(' '),
      ...(request.jkt === null ? {} : { cnf: { jkt: request.jkt } }),
      ...(request.act === undefined ? {} : { act: request.act }),
      ...(request.authorizationDetails === undefined
        ? {}
        : { authorization_details: request.authorizationDetails }),
      iss: request.issuer,
      sub: request.userId ?? request.client.id,
      aud: request.resource.identifier,
      iat: now,
      exp: now + ttl,
      jti,
    },
    signer.privateKey,
  );
}
