import { isAppError } from '../../errors/app-error.js';
import type { AuditAction, AuditResult, AuditStore, Stores, VaultCore } from '../../storage/ports.js';
import { authorizeVault } from '../access/authorize.js';
import { type AuditFacts, recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';

/**
 * A write as the audit trail names it: the action attempted, on which item (or which file of
 * it: `resourceType` FILE, `resourceId` the file when the URL names one).
 */
export interface WriteTarget {
  action: AuditAction;
  vaultId: string;
  itemId?: string;
  resourceType?: 'ITEM' | 'FILE';
  resourceId?: string;
}

/**
 * Records the outcome of a write against its target, so the events of one attempt (refused,
 * failed, done) name the same thing; `more` adds what only the outcome knows (the new item's id,
 * the version written).
 */
export function recordWrite(
  audit: AuditStore,
  ctx: RequestContext,
  target: WriteTarget,
  result: AuditResult,
  more: Pick<AuditFacts, 'itemId' | 'itemVersion' | 'resourceId'> = {},
): Promise<void> {
  return recordAudit(audit, ctx, { resourceType: 'ITEM', ...target, ...more, result });
}

/**
 * `authorizeVault` for a write: a refusal is recorded (DENY) against the item it aimed at, with
 * the action attempted, not as an update of the vault.
 */
export function authorizeWrite(
  stores: Pick<Stores, 'vaults' | 'audit'>,
  ctx: RequestContext,
  target: WriteTarget,
): Promise<VaultCore> {
  return authorizeVault(stores, ctx, target.vaultId, 'write', {
    action: target.action,
    resourceType: target.resourceType ?? 'ITEM',
    ...(target.itemId ? { itemId: target.itemId } : {}),
  });
}

/**
 * Runs an item write and, when it fails, records the failure against the item with the action
 * attempted before the error goes back: `FAILURE` for a permitted write that was not done.
 * Invariant: every 403 of a write is recorded where it is raised (`authorizeVault`,
 * `refuseWrite`), and an `audit_unavailable` has nothing left to record into; both pass
 * through. If this event cannot be written, the caller gets `audit_unavailable` instead.
 */
export async function attemptWrite<T>(
  audit: AuditStore,
  ctx: RequestContext,
  target: WriteTarget,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isAppError(error) || (error.code !== 'forbidden' && error.code !== 'audit_unavailable')) {
      await recordWrite(audit, ctx, target, 'FAILURE');
    }
    throw error;
  }
}

/**
 * Runs `check`; a `forbidden` it raises is a DENY of the write, recorded before it is answered
 * (any other error, such as a malformed request, is left to `attemptWrite`).
 */
export async function refuseWrite(
  audit: AuditStore,
  ctx: RequestContext,
  target: WriteTarget,
  check: () => void,
): Promise<void> {
  try {
    check();
  } catch (error) {
    if (isAppError(error) && error.code === 'forbidden') {
      await recordWrite(audit, ctx, target, 'DENY');
    }
    throw error;
  }
}
