import { KeyholdError } from '../../errors/keyhold-error.js';
import type { ClientRecord, Stores } from '../../storage/ports.js';
import {
  detailScopes,
  parseAuthorizationDetails,
  type VaultAuthorizationDetail,
} from './authorization-details.js';
import { type Catalog, loadCatalog } from './catalog.js';
import { readDpopJkt } from './dpop-jkt.js';
import { checkGrantId, type GrantAction, readGrantAction } from './grant-management-action.js';
import { invalidRequest, OAuthError, type OAuthErrorCode } from './oauth-error.js';
import { type OidcParameters, readOidcParameters } from './oidc-request.js';
import { S256_CHALLENGE } from './pkce.js';
import { redirectUriMatches } from './redirect-uris.js';
import { resolveScopes, type ScopedRequest } from './requested-scopes.js';

/** A validated authorization request: everything the consent page and the code need. */
export interface AuthorizationRequest extends ScopedRequest {
  client: ClientRecord;
  redirectUri: string;
  state: string | null;
  codeChallenge: string;
  /**
   * `prompt` (`consent` asks again even for what was granted; `none` never shows a page; `login`
   * signs in again), `max_age` and `nonce` (oidc-request.ts).
   */
  oidc: OidcParameters;
  catalog: Catalog;
  /** RFC 9449 §10 `dpop_jkt`: the DPoP key the code is bound to, or null. */
  dpopJkt: string | null;
  /** Grant management's `grant_management_action` and `grant_id` (grant-management-action.ts). */
  grantAction: GrantAction;
  /**
   * The RFC 9396 `authorization_details` asked for (authorization-details.ts), absent when none
   * were; the one-vault scopes they stand for are among `scopes`.
   */
  authorizationDetails?: VaultAuthorizationDetail[];
}

/**
 * An error that must not be sent to the redirect URI — the client or redirect URI cannot be
 * trusted — and is shown to the user instead (RFC 9700 §4.1: never an open redirector).
 */
export class UntrustedRedirectError extends OAuthError {
  constructor(description: string) {
    super('invalid_request', description);
  }
}

/**
 * An error to send back to the client's redirect URI, with `state` and `iss`.
 */
export class RedirectableError extends KeyholdError<OAuthErrorCode> {
  constructor(
    readonly error: OAuthError,
    readonly redirectUri: string,
    readonly state: string | null,
  ) {
    super(error.status, error.code, error.message);
  }
}

const SINGLE = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'nonce',
  'authorization_details',
];

/**
 * Validates `GET /authorize` (RFC 6749 §4.1.1 with RFC 7636, RFC 8707, RFC 9700). The client and
 * redirect URI are checked first, and until they pass nothing is redirected anywhere; after that,
 * every problem is reported to the client at its redirect URI.
 */
export async function validateAuthorizationRequest(
  stores: Pick<Stores, 'clients' | 'resourceServers' | 'grants'>,
  accountId: string,
  query: URLSearchParams,
): Promise<AuthorizationRequest> {
  const clientId = query.get('client_id');
  if (!clientId || query.getAll('client_id').length > 1)
    throw new UntrustedRedirectError('client_id is missing or repeated');
  const client = await stores.clients.findById(clientId);
  if (!client || client.accountId !== accountId)
    throw new UntrustedRedirectError(`unknown client ${clientId}`);
  const redirectUris = query.getAll('redirect_uri');
  const redirectUri = redirectUris[0];
  if (redirectUris.length !== 1 || redirectUri === undefined) {
    throw new UntrustedRedirectError('redirect_uri is missing or repeated: send the registered redirect URI');
  }
  if (!redirectUriMatches(client.redirectUris, redirectUri)) {
    throw new UntrustedRedirectError(
      `redirect_uri ${redirectUri} is not registered for client ${client.name}`,
    );
  }
  const state = query.get('state');
  const fail = (error: OAuthError): never => {
    throw new RedirectableError(error, redirectUri, state);
  };
  for (const key of SINGLE)
    if (query.getAll(key).length > 1) fail(invalidRequest(`parameter ${key} is repeated`));
  const responseType = query.get('response_type');
  if (responseType !== 'code') {
    fail(
      new OAuthError(
        'unsupported_response_type',
        responseType === null
          ? 'response_type is missing'
          : `response_type ${responseType} is not supported; use code`,
      ),
    );
  }
  if (!client.grantTypes.includes('authorization_code')) {
    fail(
      new OAuthError(
        'unauthorized_client',
        `client ${client.name} is not registered for the authorization_code grant`,
      ),
    );
  }
  const codeChallenge = query.get('code_challenge');
  if (codeChallenge === null) fail(invalidRequest('code_challenge is missing: PKCE (S256) is required'));
  if (query.get('code_challenge_method') !== 'S256')
    fail(invalidRequest('code_challenge_method must be S256'));
  if (!S256_CHALLENGE.test(codeChallenge as string))
    fail(invalidRequest('code_challenge is not an S256 challenge (43 base64url characters)'));
  const oidc = readOidcParameters(query);
  if (oidc instanceof OAuthError) fail(oidc);
  const dpopJkt = readDpopJkt(query);
  if (dpopJkt instanceof OAuthError) fail(dpopJkt);
  const grantAction = readGrantAction(query);
  if (grantAction instanceof OAuthError) fail(grantAction);
  const catalog = await loadCatalog(stores, accountId);
  const rawDetails = query.get('authorization_details');
  const details = rawDetails === null ? undefined : parseAuthorizationDetails(rawDetails);
  if (details instanceof OAuthError) fail(details);
  let scoped: ScopedRequest | undefined;
  try {
    const scope =
      details === undefined
        ? query.get('scope')
        : scopeWithDetails(query.get('scope'), details as VaultAuthorizationDetail[]);
    scoped = resolveScopes(catalog, client, scope, query.getAll('resource'));
  } catch (error) {
    if (error instanceof OAuthError) fail(error);
    throw error;
  }
  const action = grantAction as GrantAction;
  const refused = await checkGrantId(
    stores,
    accountId,
    client.id,
    (scoped as ScopedRequest).resource.identifier,
    action,
  );
  if (refused) fail(refused);
  return {
    ...(scoped as ScopedRequest),
    client,
    redirectUri,
    state,
    codeChallenge: codeChallenge as string,
    oidc: oidc as OidcParameters,
    catalog,
    dpopJkt: dpopJkt as string | null,
    grantAction: action,
    ...(details === undefined ? {} : { authorizationDetails: details as VaultAuthorizationDetail[] }),
  };
}

/**
 * The `scope` a request with authorization details stands for: its own scopes and the one-vault
 * scopes of the details, which the client must be allowed like any scope it names. Vault access
 * is asked one way or the other: vault scopes beside details are refused, since which of the two
 * a token would be held to could not be told.
 */
function scopeWithDetails(scope: string | null, details: VaultAuthorizationDetail[]): string {
  const own = (scope ?? '').split(' ').filter((s) => s !== '');
  const vaultScope = own.find((s) => s.startsWith('vault:'));
  if (vaultScope !== undefined) {
    throw invalidRequest(
      `ask for vault access in authorization_details or in scope, not both: \`${vaultScope}\` is in scope`,
    );
  }
  return [...own, ...detailScopes(details)].join(' ');
}
