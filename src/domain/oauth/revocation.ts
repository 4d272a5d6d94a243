import { hashSecret } from '../../crypto/secrets.js';
import { recordAudit } from '../audit/audit-log.js';
import { type CallFacts, clientContext, type OAuthDeps } from './context.js';
import { invalidRequest } from './oauth-error.js';
import { refuseRepeatedParameters } from './repeated-parameters.js';

/**
 * `POST /revoke` (RFC 7009). The client authenticates and may revoke only its own tokens; an
 * unknown or foreign token is answered 200 like a revoked one (§2.2), so the endpoint cannot be
 * used to probe for tokens. Revoking a refresh token also revokes every token descending from
 * the same authorization code (§2.1).
 */
export async function revoke(deps: OAuthDeps, accountId: string, facts: CallFacts): Promise<void> {
  refuseRepeatedParameters(facts.form);
  const client = await deps.clientAuth.authenticate(accountId, facts, [
    deps.issuer(accountId),
    facts.endpointUrl,
  ]);
  const token = facts.form.get('token');
  if (!token) throw invalidRequest('token is missing');
  const record = await deps.storage.oauthTokens.findByHash(hashSecret(token));
  if (!record || record.clientId !== client.id || record.revokedAt !== null) return;
  const now = new Date().toISOString();
  await deps.storage.transaction(async (tx) => {
    if (record.kind === 'refresh' && record.codeId !== null)
      await tx.oauthTokens.revokeByCode(record.codeId, now);
    else await tx.oauthTokens.revoke(record.id, now);
    await recordAudit(tx.audit, clientContext(accountId, client.id, facts), {
      action: 'DELETE',
      resourceType: 'OAUTH_TOKEN',
      resourceId: record.id,
      result: 'SUCCESS',
    });
  });
}
