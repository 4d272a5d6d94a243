import { hashSecret } from '../../crypto/secrets.js';
import { unauthorized } from '../../errors/app-error.js';
import type { Stores } from '../../storage/ports.js';
import type { VaultPermission } from '../access/permissions.js';
import type { SigningKeys } from '../connect/signing-keys.js';
import type { RequestContext } from '../context.js';
import { activeUser } from '../users/active-user.js';
import { detailGrants } from './authorization-details.js';
import type { DPoPProofs } from './dpop-proof.js';
import { requireProofOfPossession, type TokenPresentation } from './dpop-resource.js';
import { signatureStands } from './signed-by.js';
import { VAULT_API_RESOURCE, vaultScopeGrant } from './vault-api.js';

export interface RequestFacts {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Verifies an access token presented to the built-in vault API, the way introspection would for
 * a resource server, but in process: registered by hash, an access token, active (not expired,
 * revoked or rotated away), signed by a key not withdrawn when it is a JWT, issued for this
 * audience — a token for another resource server is refused (RFC 8707) — presented the way its
 * binding asks (a DPoP-bound token only with a proof of possession of its key, RFC 9449 §7), and
 * its user enabled (active-user.ts). Read on every request, so revoking a grant or disabling the
 * user ends its tokens at once. The user's vault permissions are read fresh too: the token's
 * scopes never outgrow the user.
 */
export async function verifyVaultApiToken(
  stores: Pick<Stores, 'oauthTokens' | 'vaultAccess' | 'users'>,
  keys: Pick<SigningKeys, 'verifier'>,
  dpop: DPoPProofs,
  token: string,
  facts: RequestFacts,
  presented: TokenPresentation,
): Promise<RequestContext> {
  if (token === '')
    throw unauthorized('send `Authorization: Bearer <access token>` (or `DPoP` with a proof)');
  const record = await stores.oauthTokens.findByHash(hashSecret(token));
  // The holder of a registered token may learn which state it is in; anyone else, nothing.
  if (record?.kind !== 'access') throw unauthorized('the access token is not valid');
  if (record.revokedAt !== null || record.rotatedAt !== null) {
    throw unauthorized('the access token is revoked');
  }
  if (record.expiresAt <= new Date().toISOString()) throw unauthorized('the access token has expired');
  if (!(await signatureStands(keys, token))) {
    throw unauthorized('the access token is refused: its signing key has been withdrawn');
  }
  if (record.resource !== VAULT_API_RESOURCE || record.userId === null) {
    throw unauthorized(`the access token was issued for ${record.resource}, not the vault API`);
  }
  await requireProofOfPossession(dpop, record, token, presented);
  const standing = await activeUser(stores, record.accountId, record.userId);
  if (!standing.active) throw unauthorized(`the access token is refused: ${standing.message}`);
  const access = await stores.vaultAccess.listForUser(record.userId);
  const userVaults = new Map<string, ReadonlySet<VaultPermission>>(
    access.map((a) => [a.vaultId, new Set(a.permissions)]),
  );
  return {
    actor: {
      type: 'oauth_token',
      id: record.userId,
      accountId: record.accountId,
      tokenId: record.id,
    },
    principal: {
      kind: 'oauth',
      accountId: record.accountId,
      userId: record.userId,
      scopes: vaultScopeGrant(record.scopes),
      userVaults,
      // RFC 9396: a token issued with authorization details may do only what one of them allows.
      ...(record.authorizationDetails === undefined
        ? {}
        : { details: detailGrants(record.authorizationDetails) }),
    },
    ...facts,
  };
}
