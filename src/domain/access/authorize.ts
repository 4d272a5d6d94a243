import { forbidden, notFound } from '../../errors/app-error.js';
import type {
  AuditAction,
  AuditResourceType,
  AuditStore,
  Stores,
  VaultCore,
  VaultStore,
} from '../../storage/ports.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import type { AccountAction } from './actions.js';
import { decide, type VaultAction, type VaultRef } from './decide.js';
import type { Role } from './roles.js';

/** What a refused request was about, for its DENY event: by default the vault itself. */
export interface DeniedTarget {
  action: AuditAction;
  resourceType: AuditResourceType;
  itemId?: string;
}

/**
 * Loads a vault of the caller's account and applies `decide`. A vault of another account is
 * simply not found (its existence is not revealed); a denial is audited like a success, against
 * `target` (the item a write was aimed at, with the action attempted) when the caller names one.
 * `item`: the item the action is on (by default the target's), or `each` for a list of items
 * that the caller then decides item by item; or both that and `narrowed`, for a read that
 * answers only the fields the caller may read (decide.ts `VaultRef`).
 */
export async function authorizeVault(
  stores: { vaults: Pick<VaultStore, 'find'>; audit: Pick<AuditStore, 'append'> },
  ctx: RequestContext,
  vaultId: string,
  action: VaultAction,
  target: DeniedTarget = {
    action: action === 'read' || action === 'list' ? 'READ' : 'UPDATE',
    resourceType: 'VAULT',
  },
  item: VaultRef['item'] | Pick<VaultRef, 'item' | 'narrowed'> = target.itemId,
): Promise<VaultCore> {
  const vault = await stores.vaults.find(ctx.actor.accountId, vaultId);
  if (!vault) throw notFound(`vault ${vaultId} not found`);
  const ref = typeof item === 'object' ? item : item === undefined ? {} : { item };
  const decision = decide(ctx.principal, action, { ...vault, ...ref });
  if (!decision.allow) {
    await recordAudit(stores.audit, ctx, { ...target, vaultId, result: 'DENY' });
    throw forbidden(decision.reason);
  }
  return vault;
}

/**
 * The items of a vault listed with `item: 'each'` that the caller may read, each decided by
 * `decide`. Only a principal narrowed below the vault (RFC 9396 details) can be refused an item
 * of a vault it may read, so the list of anyone else is returned as it is, without a pass over it.
 * An item it may read only some fields of is kept: the caller lists it through
 * items/item-narrowing.ts, which shows no more of it than those fields allow.
 */
export function readableItems<T>(
  ctx: RequestContext,
  vault: VaultRef,
  items: readonly T[],
  idOf: (item: T) => string,
): readonly T[] {
  const { principal } = ctx;
  if (principal.kind !== 'oauth' || principal.details === undefined) return items;
  return items.filter(
    (item) => decide(principal, 'read', { ...vault, item: idOf(item), narrowed: true }).allow,
  );
}

/** What a refused account action is recorded as, by default: its verb and the resource it is on. */
const ACCOUNT_ACTION_AUDIT: Record<AccountAction, Omit<DeniedTarget, 'itemId'>> = {
  'accounts:manage': { action: 'UPDATE', resourceType: 'ACCOUNT' },
  'account:read': { action: 'READ', resourceType: 'ACCOUNT' },
  'account:update': { action: 'UPDATE', resourceType: 'ACCOUNT' },
  'users:read': { action: 'READ', resourceType: 'USER' },
  'users:write': { action: 'UPDATE', resourceType: 'USER' },
  'vaults:create': { action: 'CREATE', resourceType: 'VAULT' },
  'connect:read': { action: 'READ', resourceType: 'SERVER' },
  'connect:write': { action: 'UPDATE', resourceType: 'SERVER' },
  'oauth:read': { action: 'READ', resourceType: 'OAUTH_CLIENT' },
  'oauth:write': { action: 'UPDATE', resourceType: 'OAUTH_CLIENT' },
  'grants:read': { action: 'READ', resourceType: 'OAUTH_GRANT' },
  'grants:revoke': { action: 'DELETE', resourceType: 'OAUTH_GRANT' },
  'audit:read': { action: 'READ', resourceType: 'ACCOUNT' },
  'keys:read': { action: 'READ', resourceType: 'SIGNING_KEY' },
  'keys:rotate': { action: 'CREATE', resourceType: 'SIGNING_KEY' },
  'keys:withdraw': { action: 'DELETE', resourceType: 'SIGNING_KEY' },
  'admin-tokens:read': { action: 'READ', resourceType: 'TOKEN' },
  'admin-tokens:write': { action: 'UPDATE', resourceType: 'TOKEN' },
};

/**
 * Applies `decide` to an account action of the caller's own account; `subject` is the role of
 * the user or admin token the action touches (or is about to give), when it touches one, and
 * `expiresAt` the expiry of an admin token about to be made. A denial is audited (as `denied`
 * says, or the action's default) and answers 403 naming the permission.
 */
export async function authorizeAccount(
  stores: Pick<Stores, 'audit'>,
  ctx: RequestContext,
  action: AccountAction,
  options: {
    subject?: Role;
    expiresAt?: string | null;
    denied?: Partial<DeniedTarget> & { resourceId?: string };
  } = {},
): Promise<void> {
  const target = {
    accountId: ctx.actor.accountId,
    ...(options.subject ? { role: options.subject } : {}),
    ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
  };
  const decision = decide(ctx.principal, action, target);
  if (decision.allow) return;
  const { resourceId, ...denied } = options.denied ?? {};
  await recordAudit(stores.audit, ctx, {
    ...ACCOUNT_ACTION_AUDIT[action],
    ...denied,
    ...(resourceId === undefined ? {} : { resourceId }),
    result: 'DENY',
  });
  throw forbidden(decision.reason);
}

/**
 * Whose OAuth grants the caller may see or revoke: every grant of the account when its role
 * has the action; otherwise a person's own (anyone may withdraw what they approved themselves);
 * otherwise none (audited, 403 naming the permission).
 */
export async function authorizeGrants(
  stores: Pick<Stores, 'audit'>,
  ctx: RequestContext,
  action: 'grants:read' | 'grants:revoke',
): Promise<{ userId?: string }> {
  const { principal } = ctx;
  if (decide(principal, action, { accountId: ctx.actor.accountId }).allow) return {};
  if (principal.kind === 'user' && principal.accountId === ctx.actor.accountId)
    return { userId: principal.userId };
  await authorizeAccount(stores, ctx, action);
  throw forbidden(`${action} was refused`);
}
