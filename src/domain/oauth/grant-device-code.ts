import { hashSecret } from '../../crypto/secrets.js';
import type { ClientRecord } from '../../storage/ports.js';
import { activeUser } from '../users/active-user.js';
import { ADMIN_API } from './cli-client.js';
import { type CallFacts, clientContext, type OAuthDeps } from './context.js';
import {
  accessDenied,
  authorizationPending,
  expiredToken,
  invalidGrant,
  invalidRequest,
  slowDown,
} from './oauth-error.js';
import { mintTokens, registerTokens, type TokenResponse } from './token-issuer.js';

/**
 * The token endpoint's device grant (RFC 8628 §3.4–3.5). The client polls with its device code;
 * until the user decides it hears `authorization_pending`, or `slow_down` (and a 5 s longer
 * interval) when it polls faster than its interval; then `access_denied`, or tokens once:
 * the code is consumed in the transaction that registers them, so of concurrent polls one wins
 * and the others hear `invalid_grant`. A code past its expiry is `expired_token`, whatever
 * became of it. Unknown codes and another client's codes get the same `invalid_grant`.
 */
export async function redeemDeviceCode(
  deps: OAuthDeps,
  client: ClientRecord,
  facts: CallFacts,
  jkt: string | null,
): Promise<TokenResponse> {
  const presented = facts.form.get('device_code');
  if (!presented) throw invalidRequest('device_code is missing');
  const record = await deps.storage.deviceCodes.findByDeviceCodeHash(hashSecret(presented));
  if (!record || record.clientId !== client.id) throw invalidGrant('the device code is invalid');
  if (record.expiresAt <= new Date().toISOString()) {
    throw expiredToken('the device code expired before it was approved; start the sign-in again');
  }
  switch (record.status) {
    case 'denied':
      throw accessDenied('the user denied the request');
    case 'consumed':
      throw invalidGrant('the device code was already used');
    case 'pending': {
      if ((await deps.storage.deviceCodes.poll(record.id, Date.now())) === 'slow_down') {
        throw slowDown(
          `polled faster than every ${record.interval} s; wait ${record.interval + 5} s from now on`,
        );
      }
      throw authorizationPending('the user has not approved the request yet');
    }
    case 'approved':
      break;
  }
  const { userId, grantId } = record;
  if (userId === null || grantId === null) throw invalidGrant('the device code is invalid');
  // Approved, then the user was disabled before the device polled: no tokens for them.
  const standing = await activeUser(deps.storage, client.accountId, userId);
  if (!standing.active) throw invalidGrant(`the device code is refused: ${standing.message}`);
  const minted = await mintTokens(deps.keys, {
    issuer: deps.issuer(client.accountId),
    client,
    userId,
    grantId,
    // Every token of this sign-in descends from the device code: revoking its refresh token
    // (`keyhold logout`) revokes them all.
    codeId: record.id,
    resource: ADMIN_API,
    scopes: record.scopes,
    withRefreshToken: true,
    jkt,
  });
  const ctx = clientContext(client.accountId, client.id, facts);
  return deps.storage.transaction(async (tx) => {
    if (!(await tx.deviceCodes.consume(record.id))) throw invalidGrant('the device code was already used');
    return registerTokens(tx, ctx, minted);
  });
}
