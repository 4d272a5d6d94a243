import type { VaultApiPermission, VaultScopeGrant } from '../access/permissions.js';

/**
 * The central service's own resource server: the user vault API at `/api/v1`. It is part of
 * every account's catalog without being registered, and cannot be deleted or shadowed: its
 * identifier and scope names are reserved.
 */
export const VAULT_API_RESOURCE = 'urn:keyhold:vault-api';
export const VAULT_API_NAME = 'Keyhold vault API';
/** Access tokens for the vault API live an hour; refresh tokens renew them. */
export const VAULT_API_TOKEN_TTL = 3600;

export const VAULT_API_SCOPES = [
  { name: 'vault:read', description: 'Read the items in your vaults', exclusive: false },
  { name: 'vault:write', description: 'Create, change and delete items in your vaults', exclusive: false },
  { name: 'vault:*:read', description: 'Read the items in one vault', exclusive: false },
  { name: 'vault:*:write', description: 'Create, change and delete items in one vault', exclusive: false },
] as const;

/** A one-vault scope, `vault:{vaultId}:read|write`: the vault id and the permission. */
export const PER_VAULT_SCOPE = /^vault:([a-z0-9]{26}):(read|write)$/;
/** An all-vaults scope, `vault:read|write`: the permission. */
export const VAULT_WIDE_SCOPE = /^vault:(read|write)$/;

/**
 * Reads granted scopes as vault permissions. Scopes of other resource servers are ignored here:
 * a token's audience was checked before its scopes are read.
 */
export function vaultScopeGrant(scopes: readonly string[]): VaultScopeGrant {
  const everyVault = new Set<VaultApiPermission>();
  const perVault = new Map<string, Set<VaultApiPermission>>();
  for (const scope of scopes) {
    if (scope === 'vault:read') everyVault.add('read');
    else if (scope === 'vault:write') everyVault.add('write');
    else {
      const match = PER_VAULT_SCOPE.exec(scope);
      if (!match) continue;
      const [, vaultId, permission] = match as unknown as [string, string, VaultApiPermission];
      const set = perVault.get(vaultId) ?? new Set<VaultApiPermission>();
      set.add(permission);
      perVault.set(vaultId, set);
    }
  }
  return { everyVault, perVault };
}

/**
 * The all-vaults scope a one-vault scope narrows (`vault:{id}:read` → `vault:read`). Consent
 * turns an approved `vault:read` into one-vault scopes, so a client allowed the broad scope is
 * allowed its narrowings too.
 */
export function broaderVaultScope(scope: string): string | undefined {
  const match = PER_VAULT_SCOPE.exec(scope);
  return match ? `vault:${match[2]}` : undefined;
}
