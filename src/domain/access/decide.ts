import { ACCOUNT_ACTIONS, type AccountAction, type VaultAction } from './actions.js';
import type { VaultDetailGrant } from './permissions.js';
import type { Principal, VaultAccessMap } from './principal.js';
import type { Role } from './roles.js';

export type { AccountAction, VaultAction } from './actions.js';
export type { Principal } from './principal.js';

/**
 * The one authorization decision. Every request reduces its caller to a Principal and asks
 * `decide`, for a vault action on a vault or an account action on the account (and, when the
 * action is aimed at a person or an admin token, the role that target holds). Nothing checks
 * permissions any other way. Pure, so it is tested as a table.
 */
export interface VaultRef {
  id: string;
  accountId: string;
  /**
   * The item the action is on, when it is on one; `each` when the caller lists the vault's items
   * and decides each of them again (an OAuth token narrowed to some items sees only those).
   * Only RFC 9396 authorization details narrow below the vault; every other principal ignores it.
   */
  item?: string | 'each';
  /**
   * Set by a read that answers only the item's fields the principal may read (`fieldsReadable`,
   * through items/item-narrowing.ts). Any other read of an item — its files, its versions, the
   * answer to a write — is of the whole item, and is refused to a principal that may read only
   * some fields of it; so is a write to it. Fail-closed: a read path that does not narrow cannot
   * forget to.
   */
  narrowed?: true;
}

/** What an account action is aimed at: the account, and the role of the person or token touched. */
export interface AccountTarget {
  accountId: string;
  /** The role the target user or admin token holds (or is about to be given). */
  role?: Role;
  /**
   * When an admin token about to be made would expire (null: never). A token may not make one
   * that outlives it; absent when the action makes no token.
   */
  expiresAt?: string | null;
}

export type Decision = { allow: true } | { allow: false; reason: string };

const ALLOW: Decision = { allow: true };
const deny = (reason: string): Decision => ({ allow: false, reason });

const READS: readonly AccountAction[] = [
  'account:read',
  'users:read',
  'connect:read',
  'oauth:read',
  'grants:read',
  'audit:read',
  'keys:read',
  'admin-tokens:read',
];

/** What each role may do in its account. `accounts:manage` also needs the operator account. */
export const ROLE_ACTIONS: Readonly<Record<Role, ReadonlySet<AccountAction>>> = {
  owner: new Set(ACCOUNT_ACTIONS),
  admin: new Set(
    ACCOUNT_ACTIONS.filter((a) => a !== 'accounts:manage' && a !== 'keys:rotate' && a !== 'keys:withdraw'),
  ),
  auditor: new Set(READS),
  'connect-manager': new Set<AccountAction>(['account:read', 'connect:read', 'connect:write']),
  member: new Set<AccountAction>(),
};

/** What each role may do in every vault of its account, whatever it was granted. */
export const ROLE_VAULT_ACTIONS: Readonly<Record<Role, ReadonlySet<VaultAction>>> = {
  owner: new Set<VaultAction>(['list', 'read', 'write', 'manage']),
  admin: new Set<VaultAction>(['list', 'read', 'write', 'manage']),
  auditor: new Set<VaultAction>(['list']),
  'connect-manager': new Set<VaultAction>(['list']),
  member: new Set<VaultAction>(),
};

/**
 * Whether `role` is one of ROLES. A role read from a stored row is only typed as one: a row
 * altered behind the service's back may hold anything, and such a role has no permission (the
 * decision fails closed instead of looking up a property that is not there).
 */
const isRole = (role: string): role is Role => Object.hasOwn(ROLE_ACTIONS, role);
const NONE: ReadonlySet<never> = new Set();
const accountActionsOf = (role: Role): ReadonlySet<AccountAction> =>
  isRole(role) ? ROLE_ACTIONS[role] : NONE;
const vaultActionsOf = (role: Role): ReadonlySet<VaultAction> =>
  isRole(role) ? ROLE_VAULT_ACTIONS[role] : NONE;

/** Whether `role` can do everything `other` can: the test for acting on or creating `other`. */
export function roleCovers(role: Role, other: Role): boolean {
  const covers = <T>(a: ReadonlySet<T>, b: ReadonlySet<T>) => [...b].every((x) => a.has(x));
  return (
    covers(accountActionsOf(role), accountActionsOf(other)) &&
    covers(vaultActionsOf(role), vaultActionsOf(other))
  );
}

const isVaultAction = (action: VaultAction | AccountAction): action is VaultAction =>
  action === 'list' || action === 'read' || action === 'write' || action === 'manage';

export function decide(principal: Principal, action: VaultAction, vault: VaultRef): Decision;
export function decide(principal: Principal, action: AccountAction, target: AccountTarget): Decision;
export function decide(
  principal: Principal,
  action: VaultAction | AccountAction,
  target: VaultRef | AccountTarget,
): Decision {
  if (principal.accountId !== target.accountId)
    return deny(isVaultAction(action) ? 'vault belongs to another account' : 'another account');
  return isVaultAction(action)
    ? decideVault(principal, action, target as VaultRef)
    : decideAccount(principal, action, target as AccountTarget);
}

function decideAccount(principal: Principal, action: AccountAction, target: AccountTarget): Decision {
  switch (principal.kind) {
    case 'system':
      return ALLOW;
    case 'nobody':
      return deny(`${action} needs a signed-in caller`);
    case 'connect':
      return deny(`a Connect token cannot ${action}`);
    case 'oauth':
      return deny(`an OAuth access token cannot ${action}`);
    case 'admin_token':
    case 'user': {
      const { role } = principal;
      if (!isRole(role)) return deny(`role ${role} is not a role: it has no permission`);
      if (!accountActionsOf(role).has(action))
        return deny(`role ${role} does not have the ${action} permission`);
      if (action === 'accounts:manage' && !principal.operator)
        return deny('managing accounts needs an owner of the operator account');
      if (target.role !== undefined && !roleCovers(role, target.role))
        return deny(`role ${role} cannot act on a holder of role ${target.role} (${action})`);
      if (principal.kind === 'admin_token' && target.expiresAt !== undefined) {
        const own = principal.expiresAt ?? null;
        if (own !== null && (target.expiresAt === null || target.expiresAt > own))
          return deny(`a token cannot make a token that outlives it: this one expires at ${own} (${action})`);
      }
      return ALLOW;
    }
  }
}

function decideVault(principal: Principal, action: VaultAction, vault: VaultRef): Decision {
  switch (principal.kind) {
    case 'system':
      return ALLOW;
    case 'nobody':
      return deny(`vault ${vault.id} is not in scope`);
    case 'admin_token':
      if (vaultActionsOf(principal.role).has(action)) return ALLOW;
      return deny(`role ${principal.role} does not have the ${action} permission on vaults`);
    case 'user':
      if (vaultActionsOf(principal.role).has(action)) return ALLOW;
      return decideByGrants(principal.vaults, action, vault);
    case 'oauth': {
      if (action === 'manage') return deny('OAuth tokens cannot manage vaults');
      const { everyVault, perVault } = principal.scopes;
      // Any granted scope on the vault shows it; reading or writing needs that very scope.
      const scoped =
        action === 'list'
          ? everyVault.size > 0 || (perVault.get(vault.id)?.size ?? 0) > 0
          : everyVault.has(action) || perVault.get(vault.id)?.has(action);
      if (!scoped) return deny(`no granted scope allows ${action} on vault ${vault.id}`);
      if (principal.details && !principal.details.some((d) => detailAllows(d, action, vault))) {
        return deny(
          vault.item === undefined || vault.item === 'each'
            ? `no approved authorization detail allows ${action} on vault ${vault.id}`
            : `no approved authorization detail allows ${action} on item ${vault.item} of vault ${vault.id}`,
        );
      }
      if (vault.item !== undefined && vault.item !== 'each' && !(action === 'read' && vault.narrowed)) {
        if (fieldsReadable(principal, vault.id, vault.item) !== null) {
          return deny(
            `the approved authorization details allow reading only some fields of item ${vault.item}: ${action === 'read' ? 'its files and versions are' : 'a change to it (answered with the whole item) is'} out of reach`,
          );
        }
      }
      return decideByGrants(principal.userVaults, action, vault);
    }
    case 'connect': {
      const granted = principal.grants.get(vault.id);
      if (!granted || !principal.serverVaults.has(vault.id)) return deny(`vault ${vault.id} is not in scope`);
      if (action === 'manage') return deny('Connect tokens cannot manage vaults');
      if (action === 'list' || granted.has(action)) return ALLOW;
      return deny(`token has no ${action} access to vault ${vault.id}`);
    }
  }
}

/**
 * Whether one approved authorization detail allows `action` on the vault (and item). A detail
 * narrowed to items allows reading or writing only those, named; listing the vault (`each`)
 * is allowed so that each item is then decided; creating an item (no item named) is not. A
 * detail narrowed to fields allows reading its items, which `decide` then holds to those fields
 * (`fieldsReadable`, `VaultRef.narrowed`).
 */
export function detailAllows(
  detail: VaultDetailGrant,
  action: VaultAction,
  vault: Pick<VaultRef, 'id' | 'item'>,
): boolean {
  if (!detail.vaults.has(vault.id)) return false;
  if (action === 'list') return true;
  if (action === 'manage' || !detail.actions.has(action)) return false;
  // Fields narrow a read of named items (authorization-details.ts); fail closed on any other shape.
  if (detail.fields !== null && (action !== 'read' || detail.items === null)) return false;
  if (detail.items === null) return true;
  if (vault.item === undefined) return false;
  return vault.item === 'each' ? action === 'read' : detail.items.has(vault.item);
}

/**
 * The fields of an item the principal may read, when RFC 9396 details narrow its read of that item
 * to some fields; null when it reads the whole item (or the details do not reach the item: then
 * `decide` refuses the read). Every detail that allows reading the item counts: one without
 * `fields` gives the whole item; otherwise the fields named by any of them.
 */
export function fieldsReadable(
  principal: Principal,
  vaultId: string,
  itemId: string,
): ReadonlySet<string> | null {
  if (principal.kind !== 'oauth' || principal.details === undefined) return null;
  const ref = { id: vaultId, item: itemId };
  let fields: Set<string> | null = null;
  for (const detail of principal.details) {
    if (!detailAllows(detail, 'read', ref)) continue;
    if (detail.fields === null) return null;
    fields ??= new Set();
    for (const field of detail.fields) fields.add(field);
  }
  return fields;
}

function decideByGrants(vaults: VaultAccessMap, action: VaultAction, vault: VaultRef): Decision {
  const granted = vaults.get(vault.id);
  // Both refusals name the permission asked for, as a role's refusal does.
  if (!granted || granted.size === 0)
    return deny(`no ${action} permission on vault ${vault.id}: it is not in scope`);
  // Any permission shows the vault; `manage` implies read and write.
  if (action === 'list' || granted.has(action) || granted.has('manage')) return ALLOW;
  return deny(`no ${action} permission on vault ${vault.id}`);
}
