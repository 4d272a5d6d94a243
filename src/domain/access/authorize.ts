import { forbidden, notFound } from '../../errors/app-error.js';
import type { AuditAction, AuditResourceType, Stores, VaultRecord } from '../../storage/ports.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { decide, type VaultAction } from './decide.js';

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
 */
export async function authorizeVault(
  stores: Pick<Stores, 'vaults' | 'audit'>,
  ctx: RequestContext,
  vaultId: string,
  action: VaultAction,
  target: DeniedTarget = { action: action === 'read' ? 'READ' : 'UPDATE', resourceType: 'VAULT' },
): Promise<VaultRecord> {
  const vault = await stores.vaults.find(ctx.actor.accountId, vaultId);
  if (!vault) throw notFound(`vault ${vaultId} not found`);
  const decision = decide(ctx.principal, action, vault);
  if (!decision.allow) {
    await recordAudit(stores.audit, ctx, { ...target, vaultId, result: 'DENY' });
    throw forbidden(decision.reason);
  }
  return vault;
}
