import {
  type ClientRecord,
  DEVICE_CODE_GRANT,
  type GrantType,
  TOKEN_EXCHANGE_GRANT,
} from '../../storage/ports.js';
import type { CallFacts, OAuthDeps } from './context.js';
import { requireKeyWhereRegistered, tokenRequestKey } from './dpop-binding.js';
import { redeemAuthorizationCode } from './grant-authorization-code.js';
import { issueClientCredentials } from './grant-client-credentials.js';
import { redeemDeviceCode } from './grant-device-code.js';
import { redeemRefreshToken } from './grant-refresh-token.js';
import { exchangeToken } from './grant-token-exchange.js';
import { invalidRequest, OAuthError, unauthorizedClient } from './oauth-error.js';
import { refuseRepeatedParameters } from './repeated-parameters.js';
import type { TokenResponse } from './token-issuer.js';

/** The grants this server implements; implicit and password are refused by name (RFC 9700). */
const GRANTS: Record<
  GrantType,
  (deps: OAuthDeps, client: ClientRecord, facts: CallFacts, jkt: string | null) => Promise<TokenResponse>
> = {
  authorization_code: redeemAuthorizationCode,
  refresh_token: redeemRefreshToken,
  client_credentials: issueClientCredentials,
  [DEVICE_CODE_GRANT]: redeemDeviceCode,
  [TOKEN_EXCHANGE_GRANT]: exchangeToken,
};

/**
 * `POST /token`, as ordered steps: refuse repeated parameters, know the grant type, check the
 * DPoP proof if any, authenticate the client, check it may use the grant (and must use DPoP),
 * then run the grant, binding its tokens to the proof's key.
 */
export async function tokenEndpoint(
  deps: OAuthDeps,
  accountId: string,
  facts: CallFacts,
): Promise<TokenResponse> {
  refuseRepeatedParameters(facts.form, ['resource']);
  const grantType = facts.form.get('grant_type');
  if (grantType === null) throw invalidRequest('grant_type is missing');
  if (!Object.hasOwn(GRANTS, grantType)) {
    throw new OAuthError(
      'unsupported_grant_type',
      `grant_type ${grantType} is not supported; use authorization_code, refresh_token, client_credentials, ${DEVICE_CODE_GRANT} or ${TOKEN_EXCHANGE_GRANT}`,
    );
  }
  const jkt = await tokenRequestKey(deps, accountId, facts);
  const client = await deps.clientAuth.authenticate(accountId, facts, [
    deps.issuer(accountId),
    facts.endpointUrl,
  ]);
  const grant = grantType as GrantType;
  if (!client.grantTypes.includes(grant)) {
    throw unauthorizedClient(`client ${client.id} is not registered for the ${grant} grant`);
  }
  requireKeyWhereRegistered(client, jkt);
  return GRANTS[grant](deps, client, facts, jkt);
}
