import type { ConnectPermission, VaultPermission } from '../../storage/ports.js';
import type { VaultScopeGrant } from '../oauth/vault-api.js';

/**
 * The one authorization decision. Every route that touches a vault reduces its caller to a
 * Principal and asks `decide`; nothing checks permissions any other way. Pure, so it is tested
 * as a table.
 */
export type VaultAction = VaultPermission;

export type Principal =
  /** An account's admin API token: full control of the account's own vaults. */
  | { kind: 'admin'; accountId: string }
  /** A user, limited to the vaults and permissions granted to them. */
  | { kind: 'user'; accountId: string; vaults: ReadonlyMap<string, ReadonlySet<VaultPermission>> }
  /**
   * A Connect token: its signed vault grants, limited to the vaults its server may reach *now*
   * (looked up for every request, from a cache that any change to the set empties, so shrinking
   * a server's vault set takes effect at once).
   */
  | {
      kind: 'connect';
      accountId: string;
      serverId: string;
      grants: ReadonlyMap<string, ReadonlySet<ConnectPermission>>;
      serverVaults: ReadonlySet<string>;
    }
  /**
   * An OAuth access token for the vault API: what its granted scopes allow, intersected with
   * what its user may do in each vault *now* (re-read per request, like a Connect server's set).
   */
  | {
      kind: 'oauth';
      accountId: string;
      userId: string;
      scopes: VaultScopeGrant;
      userVaults: ReadonlyMap<string, ReadonlySet<VaultPermission>>;
    };

export interface VaultRef {
  id: string;
  accountId: string;
}

export type Decision = { allow: true } | { allow: false; reason: string };

const ALLOW: Decision = { allow: true };

export function decide(principal: Principal, action: VaultAction, vault: VaultRef): Decision {
  if (principal.accountId !== vault.accountId)
    return { allow: false, reason: 'vault belongs to another account' };
  switch (principal.kind) {
    case 'admin':
      return ALLOW;
    case 'user':
      return decideForUser(principal.vaults, action, vault);
    case 'oauth': {
      if (action === 'manage') return { allow: false, reason: 'OAuth tokens cannot manage vaults' };
      const scoped =
        principal.scopes.everyVault.has(action) || principal.scopes.perVault.get(vault.id)?.has(action);
      if (!scoped) return { allow: false, reason: `no granted scope allows ${action} on vault ${vault.id}` };
      return decideForUser(principal.userVaults, action, vault);
    }
    case 'connect': {
      const granted = principal.grants.get(vault.id);
      if (!granted || !principal.serverVaults.has(vault.id))
        return { allow: false, reason: `vault ${vault.id} is not in scope` };
      if (action === 'manage') return { allow: false, reason: 'Connect tokens cannot manage vaults' };
      if (granted.has(action)) return ALLOW;
      return { allow: false, reason: `token has no ${action} access to vault ${vault.id}` };
    }
  }
}

function decideForUser(
  vaults: ReadonlyMap<string, ReadonlySet<VaultPermission>>,
  action: VaultAction,
  vault: VaultRef,
): Decision {
  const granted = vaults.get(vault.id);
  if (!granted || granted.size === 0) return { allow: false, reason: `vault ${vault.id} is not in scope` };
  // `manage` implies read and write: a vault manager can always see and edit its content.
  if (granted.has(action) || granted.has('manage')) return ALLOW;
  return { allow: false, reason: `no ${action} permission on vault ${vault.id}` };
}
