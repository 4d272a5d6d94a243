import type { ConnectGrant } from '../../storage/ports.js';
import type { ConnectPermission } from '../access/permissions.js';

/**
 * The claim layout of a Connect token, following 1Password's published client code. The bit
 * values of `a` are not public; these are Keyhold's own, documented in docs/connect.md:
 * READ = 1, WRITE = 2 (so read+write = 3). Other bits are reserved and refused.
 */
export const CLAIM_ACCOUNT = '1password.com/auuid';
export const CLAIM_FEATURES = '1password.com/fts';
export const CLAIM_VAULTS = '1password.com/vts';
export const FEATURE_VAULT_ACCESS = 'vaultaccess';
export const TOKEN_ISSUER = 'keyhold';

export const PERMISSION_BITS: Readonly<Record<ConnectPermission, number>> = Object.freeze({
  read: 1,
  write: 2,
});
const ALL_BITS = PERMISSION_BITS.read | PERMISSION_BITS.write;

export interface VaultClaim {
  u: string;
  a: number;
}

export const grantsToClaims = (grants: ConnectGrant[]): VaultClaim[] =>
  grants.map((g) => ({ u: g.vaultId, a: g.permissions.reduce((bits, p) => bits | PERMISSION_BITS[p], 0) }));

/** Decodes vault claims; undefined when they are not exactly the documented shape. */
export function claimsToGrants(claims: unknown): ConnectGrant[] | undefined {
  if (!Array.isArray(claims)) return undefined;
  const grants: ConnectGrant[] = [];
  for (const c of claims as VaultClaim[]) {
    if (typeof c?.u !== 'string' || !Number.isInteger(c.a) || c.a <= 0 || (c.a & ~ALL_BITS) !== 0)
      return undefined;
    const permissions = (Object.keys(PERMISSION_BITS) as ConnectPermission[]).filter(
      (p) => c.a & PERMISSION_BITS[p],
    );
    grants.push({ vaultId: c.u, permissions });
  }
  return grants;
}
