import type { AdminTokenRecord, UserRecord, VaultAccessRecord } from '../../storage/ports.js';
import type { Principal, VaultAccessMap } from './principal.js';

/**
 * Every principal is built here, from the records that define it, so what a credential may do
 * is derived one way wherever it is authenticated.
 */
export const systemPrincipal = (accountId: string): Principal => ({ kind: 'system', accountId });

export const nobody = (accountId: string): Principal => ({ kind: 'nobody', accountId });

/** An admin token; `operator` is its account's flag (AccountRecord.operator). */
export function adminTokenPrincipal(
  token: Pick<AdminTokenRecord, 'id' | 'accountId' | 'role' | 'expiresAt'>,
  operator: boolean,
): Principal {
  return {
    kind: 'admin_token',
    accountId: token.accountId,
    tokenId: token.id,
    role: token.role,
    operator,
    expiresAt: token.expiresAt,
  };
}

export function vaultAccessMap(access: readonly VaultAccessRecord[]): VaultAccessMap {
  return new Map(access.map((a) => [a.vaultId, new Set(a.permissions)]));
}

/**
 * A person acting through a sign-in session or the CLI: their role and vault access now;
 * `operator` is their account's flag (AccountRecord.operator).
 */
export function userPrincipal(
  user: Pick<UserRecord, 'id' | 'accountId' | 'role'>,
  access: readonly VaultAccessRecord[],
  operator: boolean,
): Principal {
  return {
    kind: 'user',
    accountId: user.accountId,
    userId: user.id,
    role: user.role,
    operator,
    vaults: vaultAccessMap(access),
  };
}
