import { newId } from '../crypto/ids.js';
import type { Keyring } from '../crypto/keyring.js';
import { foundAccount } from '../domain/accounts/account-service.js';
import { issueAdminToken } from '../domain/admin-tokens/admin-token-service.js';
import { recordAudit } from '../domain/audit/audit-log.js';
import { SigningKeys } from '../domain/connect/signing-keys.js';
import { systemContext } from '../domain/context.js';
import { generatePassword, hashPassword } from '../domain/users/passwords.js';
import type { Storage, Stores } from '../storage/ports.js';

export interface BootstrapCredentials {
  accountId: string;
  accountName: string;
  ownerId: string;
  ownerEmail: string;
  /** Present only when it was generated; shown once. */
  ownerPassword?: string;
  /** An owner admin token of the operator account (ordinary, revocable); shown once. */
  adminToken: string;
}

/**
 * Creates the first account (the operator account), its owner, its token-signing keys and an
 * owner admin token in one transaction, so a failure leaves no half-made account behind, and two
 * initialisations of one database never both commit (`claim` writes the key check first).
 */
export async function initializeAccount(
  storage: Storage,
  keyring: Keyring,
  input: { accountName: string; ownerEmail: string; ownerPassword?: string },
  /** Runs first in the same transaction: the new store's key check (store.ts). */
  claim: (tx: Stores) => Promise<void> = async () => undefined,
): Promise<BootstrapCredentials> {
  const now = new Date().toISOString();
  const accountId = newId();
  const ownerId = newId();
  const generated = input.ownerPassword === undefined ? generatePassword() : undefined;
  const passwordHash = await hashPassword(input.ownerPassword ?? (generated as string));
  const ctx = systemContext(accountId);
  const token = issueAdminToken({
    accountId,
    name: 'bootstrap owner token',
    role: 'owner',
    createdBy: ctx.actor.id,
  });
  await storage.transaction(async (tx) => {
    await claim(tx);
    const account = { id: accountId, name: input.accountName, createdAt: now, operator: true };
    await foundAccount(tx, new SigningKeys(storage, keyring), ctx, account, token.record);
    await tx.users.insert({
      id: ownerId,
      accountId,
      email: input.ownerEmail,
      passwordHash,
      role: 'owner',
      createdAt: now,
      updatedAt: now,
    });
    await recordAudit(tx.audit, ctx, {
      action: 'CREATE',
      resourceType: 'USER',
      resourceId: ownerId,
      result: 'SUCCESS',
    });
  });
  return {
    accountId,
    accountName: input.accountName,
    ownerId,
    ownerEmail: input.ownerEmail,
    ...(generated === undefined ? {} : { ownerPassword: generated }),
    adminToken: token.secret,
  };
}
