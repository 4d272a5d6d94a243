import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import { notFound, unauthorized } from '../../errors/app-error.js';
import type { AdminTokenRecord, AdminTokenStore, Stores, Transactional } from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import type { AdminTokenRole } from '../access/roles.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';

/** Admin API tokens are `khadm_` + 43 base64url characters (32 random bytes). */
export const ADMIN_TOKEN_PREFIX = 'khadm';
const ADMIN_TOKEN_PATTERN = /^khadm_[A-Za-z0-9_-]{43}$/;

export interface IssuedAdminToken {
  record: AdminTokenRecord;
  /** The bearer secret: returned once, never stored. */
  secret: string;
}

/** A new token's record and secret; nothing is stored until the caller inserts the record. */
export function issueAdminToken(input: {
  accountId: string;
  name: string;
  role: AdminTokenRole;
  createdBy: string;
  expiresAt?: string | null;
}): IssuedAdminToken {
  const secret = newBearerSecret(ADMIN_TOKEN_PREFIX);
  return {
    secret,
    record: {
      id: newId(),
      accountId: input.accountId,
      name: input.name,
      tokenHash: hashSecret(secret),
      role: input.role,
      createdAt: new Date().toISOString(),
      expiresAt: input.expiresAt ?? null,
      revokedAt: null,
      createdBy: input.createdBy,
    },
  };
}

/**
 * Stores a new token with its CREATE event; run it inside the caller's transaction so the two
 * land together. The admin API, `keyhold recover` and the founding of an account all make tokens
 * through here.
 */
export async function storeAdminToken(
  tx: Pick<Stores, 'adminTokens' | 'audit'>,
  ctx: RequestContext,
  record: AdminTokenRecord,
): Promise<void> {
  await tx.adminTokens.insert(record);
  await recordAudit(tx.audit, ctx, {
    action: 'CREATE',
    resourceType: 'TOKEN',
    resourceId: record.id,
    result: 'SUCCESS',
  });
}

/**
 * The live token a bearer secret belongs to. The lookup is by SHA-256 of the secret, so the
 * database index never compares attacker-chosen bytes with a stored secret; and only a caller
 * who holds the secret of a revoked or expired token is told that it is one (a guess is just
 * invalid), so the messages reveal nothing to anyone else.
 */
export async function authenticateAdminToken(
  store: Pick<AdminTokenStore, 'findByHash'>,
  secret: string,
  now = new Date(),
): Promise<AdminTokenRecord> {
  const token = ADMIN_TOKEN_PATTERN.test(secret) ? await store.findByHash(hashSecret(secret)) : undefined;
  if (!token) throw unauthorized('Invalid admin token');
  if (token.revokedAt !== null) throw unauthorized(`admin token was revoked at ${token.revokedAt}`);
  if (token.expiresAt !== null && token.expiresAt <= now.toISOString())
    throw unauthorized(`admin token expired at ${token.expiresAt}`);
  return token;
}

/** A token as the admin API lists it: never the secret or its hash. */
export interface AdminTokenView {
  id: string;
  name: string;
  role: AdminTokenRole;
  status: 'active' | 'expired' | 'revoked';
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export const adminTokenView = (t: AdminTokenRecord, now = new Date()): AdminTokenView => ({
  id: t.id,
  name: t.name,
  role: t.role,
  status:
    t.revokedAt !== null
      ? 'revoked'
      : t.expiresAt !== null && t.expiresAt <= now.toISOString()
        ? 'expired'
        : 'active',
  createdAt: t.createdAt,
  createdBy: t.createdBy,
  expiresAt: t.expiresAt,
  revokedAt: t.revokedAt,
});

export interface AdminTokenService {
  /**
   * Makes a token of `role`, expiring `expiresInSeconds` from now (never, when absent). A token
   * cannot make one with more power than its own, nor one that outlives it (decide.ts).
   */
  create(
    ctx: RequestContext,
    input: { name: string; role: AdminTokenRole; expiresInSeconds?: number },
  ): Promise<AdminTokenView & { token: string }>;
  list(ctx: RequestContext): Promise<AdminTokenView[]>;
  /** Revokes at once (nothing caches a token); revoking a revoked token again is no error. */
  revoke(ctx: RequestContext, tokenId: string): Promise<void>;
}

export function adminTokenService(storage: Transactional<'adminTokens' | 'audit'>): AdminTokenService {
  return {
    async create(ctx, input) {
      const expiresAt =
        input.expiresInSeconds === undefined
          ? null
          : new Date(Date.now() + input.expiresInSeconds * 1000).toISOString();
      await authorizeAccount(storage, ctx, 'admin-tokens:write', {
        subject: input.role,
        expiresAt,
        denied: { action: 'CREATE' },
      });
      const issued = issueAdminToken({
        accountId: ctx.actor.accountId,
        name: input.name,
        role: input.role,
        createdBy: ctx.actor.id,
        expiresAt,
      });
      await storage.transaction((tx) => storeAdminToken(tx, ctx, issued.record));
      return { ...adminTokenView(issued.record), token: issued.secret };
    },

    async list(ctx) {
      await authorizeAccount(storage, ctx, 'admin-tokens:read');
      const now = new Date();
      return (await storage.adminTokens.list(ctx.actor.accountId)).map((t) => adminTokenView(t, now));
    },

    async revoke(ctx, tokenId) {
      // First without the subject: a caller who may not revoke learns nothing about the token.
      await authorizeAccount(storage, ctx, 'admin-tokens:write', {
        denied: { action: 'DELETE', resourceId: tokenId },
      });
      const token = await storage.adminTokens.get(ctx.actor.accountId, tokenId);
      if (!token) throw notFound(`admin token ${tokenId} not found`);
      // A role is fixed at creation, so the check outside the transaction stays true.
      await authorizeAccount(storage, ctx, 'admin-tokens:write', {
        subject: token.role,
        denied: { action: 'DELETE', resourceId: tokenId },
      });
      await storage.transaction(async (tx) => {
        // Of two revocations at once, only the one that flips the row writes an event.
        if (!(await tx.adminTokens.revoke(ctx.actor.accountId, tokenId, new Date().toISOString()))) return;
        await recordAudit(tx.audit, ctx, {
          action: 'DELETE',
          resourceType: 'TOKEN',
          resourceId: tokenId,
          result: 'SUCCESS',
        });
      });
    },
  };
}
