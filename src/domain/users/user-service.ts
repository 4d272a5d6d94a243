import { newId } from '../../crypto/ids.js';
import { conflict, invalidInput, isAppError, notFound } from '../../errors/app-error.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { AuditAction, Storage, Stores, UserRecord } from '../../storage/ports.js';
import { authorizeAccount, authorizeVault } from '../access/authorize.js';
import type { VaultPermission } from '../access/permissions.js';
import type { UserRole } from '../access/roles.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { revokeExchangedConnectTokens } from '../oauth/exchanged-connect-tokens.js';
import { personName } from '../text.js';
import { endSignIns } from './end-sign-ins.js';
import { isEnabledOwner, keepAnOwner } from './last-owner.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-policy.js';
import { createPasswordReset, type PasswordResetLink } from './password-reset.js';
import { generatePassword, hashPassword } from './passwords.js';

export interface UserView {
  id: string;
  email: string;
  /** The person's display name; null when they have none. */
  name: string | null;
  role: UserRole;
  /** False while the user is disabled: none of their credentials work. */
  enabled: boolean;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CreatedUser extends UserView {
  /** Present only when the password was generated: shown once. */
  password?: string;
}

export interface VaultGrantView {
  userId: string;
  vaultId: string;
  permissions: VaultPermission[];
}

export interface UserService {
  create(
    ctx: RequestContext,
    input: { email: string; role: UserRole; password?: string; name?: string | null },
  ): Promise<CreatedUser>;
  list(ctx: RequestContext): Promise<UserView[]>;
  get(ctx: RequestContext, userId: string): Promise<UserView>;
  findByEmail(ctx: RequestContext, email: string): Promise<UserView>;
  /** Gives the user another role; the last enabled owner cannot be demoted (409 `last_owner`). */
  setRole(ctx: RequestContext, userId: string, role: UserRole): Promise<UserView>;
  /**
   * Gives the user a display name, or removes it (null). A person may always rename themselves;
   * anyone else needs what a role change needs (users:write over the user's role). The name is
   * kept as domain/text.ts `personName` makes it (trimmed, NFC) or refused (400 `invalid_input`).
   */
  setName(ctx: RequestContext, userId: string, name: string | null): Promise<UserView>;
  /**
   * Disables the user: ends their sessions, and every grant and token is refused until enabled;
   * the last enabled owner cannot be disabled.
   */
  disable(ctx: RequestContext, userId: string): Promise<UserView>;
  /** Enables the user, deleting every session and grant from before (they sign in anew). */
  enable(ctx: RequestContext, userId: string): Promise<UserView>;
  /** Deletes the user and everything that is theirs; the audit trail keeps their id. */
  delete(ctx: RequestContext, userId: string): Promise<void>;
  /** A one-time link to set a new password (replaces any older link of the user). */
  resetPassword(ctx: RequestContext, userId: string): Promise<PasswordResetLink>;
  grantVault(
    ctx: RequestContext,
    userId: string,
    vaultId: string,
    permissions: VaultPermission[],
  ): Promise<VaultGrantView>;
  /** Removes the user's access to a vault; 404 when they had none. */
  revokeVault(ctx: RequestContext, userId: string, vaultId: string): Promise<void>;
  vaultGrants(ctx: RequestContext, userId: string): Promise<VaultGrantView[]>;
}

export interface UserServiceOptions {
  /** `{publicUrl}/oauth/{accountId}`: where the account's pages (password reset) are served. */
  pagesBase(accountId: string): string;
}

export const userView = (u: UserRecord): UserView => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  enabled: u.disabledAt === null,
  disabledAt: u.disabledAt,
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
});

/**
 * A display name as it is kept, or null. The routes' schemas check it already (and say so in the
 * API's description); checked here too so that no caller of the service stores one unchecked.
 */
function keptName(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  const parsed = personName.safeParse(name);
  if (!parsed.success) throw invalidInput(`name: ${parsed.error.issues[0]?.message ?? 'is not a name'}`);
  return parsed.data;
}

export function userService(storage: Storage, options: UserServiceOptions): UserService {
  const load = async (ctx: RequestContext, userId: string) => {
    const user = await storage.users.get(ctx.actor.accountId, userId);
    if (!user) throw notFound(`user ${userId} not found`);
    return user;
  };

  /**
   * The user a write is aimed at, once the caller may write users at all (so a caller without
   * the permission learns nothing, not even whether the id exists) and may act on a holder of
   * the user's role (an admin cannot touch an owner).
   */
  const target = async (ctx: RequestContext, userId: string) => {
    await authorizeAccount(storage, ctx, 'users:write', { denied: { resourceId: userId } });
    const user = await load(ctx, userId);
    await authorizeAccount(storage, ctx, 'users:write', {
      subject: user.role,
      denied: { resourceId: userId },
    });
    return user;
  };

  /**
   * One change of a user, with its audit event, in one transaction. When the user is an enabled
   * owner the change is checked, inside that transaction, not to leave the account without one;
   * a refused change is recorded as a FAILURE.
   *
   * `user` was read (and the caller authorized against its role) before the transaction, so the
   * row is read again inside it: a parallel change may have made the user an owner meanwhile. A
   * role that changed is a 409 (the authorization held for the old role only), and the last-owner
   * check looks at the row as it is now, not as it was. The account is locked before that read:
   * changes of its users take turns on every backend (last-owner.ts).
   */
  const change = async (
    ctx: RequestContext,
    user: UserRecord,
    doing: string,
    action: AuditAction,
    write: (tx: Stores) => Promise<void>,
  ) => {
    try {
      await storage.transaction(async (tx) => {
        await tx.accounts.lock(user.accountId);
        const current = await tx.users.get(user.accountId, user.id);
        if (!current) throw notFound(`user ${user.id} not found`);
        if (current.role !== user.role) {
          throw conflict(
            `cannot ${doing}: the user's role changed meanwhile (now ${current.role}); try again`,
          );
        }
        await write(tx);
        if (isEnabledOwner(current)) await keepAnOwner(tx, user.accountId, doing);
        await recordAudit(tx.audit, ctx, {
          action,
          resourceType: 'USER',
          resourceId: user.id,
          result: 'SUCCESS',
        });
      });
    } catch (error) {
      if (isAppError(error) && error.code === 'last_owner') {
        await recordAudit(storage.audit, ctx, {
          action,
          resourceType: 'USER',
          resourceId: user.id,
          result: 'FAILURE',
        });
      }
      throw error;
    }
  };

  const reload = async (ctx: RequestContext, userId: string) => userView(await load(ctx, userId));

  return {
    async create(ctx, input) {
      await authorizeAccount(storage, ctx, 'users:write', {
        subject: input.role,
        denied: { action: 'CREATE' },
      });
      const name = keptName(input.name);
      const generated = input.password === undefined ? generatePassword() : undefined;
      const password = input.password ?? (generated as string);
      if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
        throw invalidInput(`password: must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
      }
      if (await storage.users.findByEmail(ctx.actor.accountId, input.email)) {
        throw conflict(`a user with email ${input.email} already exists in this account`, 'email_taken');
      }
      const now = new Date().toISOString();
      const user: UserRecord = {
        id: newId(),
        accountId: ctx.actor.accountId,
        email: input.email,
        passwordHash: await hashPassword(password),
        role: input.role,
        createdAt: now,
        updatedAt: now,
        disabledAt: null,
        name,
      };
      try {
        await storage.transaction(async (tx) => {
          await tx.users.insert(user);
          await recordAudit(tx.audit, ctx, {
            action: 'CREATE',
            resourceType: 'USER',
            resourceId: user.id,
            result: 'SUCCESS',
          });
        });
      } catch (error) {
        // Two requests raced for the same email: the unique index decided.
        if (isUniqueViolation(error))
          throw conflict(`a user with email ${input.email} already exists in this account`, 'email_taken');
        throw error;
      }
      return generated === undefined ? userView(user) : { ...userView(user), password: generated };
    },

    async list(ctx) {
      await authorizeAccount(storage, ctx, 'users:read');
      return (await storage.users.list(ctx.actor.accountId)).map(userView);
    },

    async get(ctx, userId) {
      await authorizeAccount(storage, ctx, 'users:read', { denied: { resourceId: userId } });
      return userView(await load(ctx, userId));
    },

    async findByEmail(ctx, email) {
      await authorizeAccount(storage, ctx, 'users:read');
      const user = await storage.users.findByEmail(ctx.actor.accountId, email);
      if (!user) throw notFound(`user ${email} not found`);
      return userView(user);
    },

    async setRole(ctx, userId, role) {
      const user = await target(ctx, userId);
      // The new role is checked too: nobody gives a role with more power than their own.
      await authorizeAccount(storage, ctx, 'users:write', { subject: role, denied: { resourceId: userId } });
      if (user.role === role) return userView(user);
      await change(ctx, user, 'demote the user', 'UPDATE', async (tx) => {
        await tx.users.update(user.accountId, user.id, { role, updatedAt: new Date().toISOString() });
      });
      return reload(ctx, userId);
    },

    async setName(ctx, userId, given) {
      const name = keptName(given);
      const { principal } = ctx;
      const self =
        principal.kind === 'user' &&
        principal.accountId === ctx.actor.accountId &&
        principal.userId === userId;
      const user = self ? await load(ctx, userId) : await target(ctx, userId);
      if (user.name === name) return userView(user);
      await change(ctx, user, 'rename the user', 'UPDATE', async (tx) => {
        await tx.users.update(user.accountId, user.id, { name, updatedAt: new Date().toISOString() });
      });
      return reload(ctx, userId);
    },

    async disable(ctx, userId) {
      const user = await target(ctx, userId);
      if (user.disabledAt !== null) return userView(user);
      await change(ctx, user, 'disable the user', 'UPDATE', async (tx) => {
        const now = new Date().toISOString();
        await tx.users.update(user.accountId, user.id, { disabledAt: now, updatedAt: now });
        // Every credential checks the user on use (active-user.ts). The grants and their tokens
        // stay while the user is disabled, so each use is refused saying "the user is disabled"
        // rather than "unknown"; they are deleted when the user is enabled (below). Sessions, a
        // sign-in at its second step and a reset link issued before the disable go now.
        await endSignIns(tx, user, { keepGrants: true });
      });
      return reload(ctx, userId);
    },

    async enable(ctx, userId) {
      const user = await target(ctx, userId);
      if (user.disabledAt === null) return userView(user);
      await change(ctx, user, 'enable the user', 'UPDATE', async (tx) => {
        await tx.users.update(user.accountId, user.id, {
          disabledAt: null,
          updatedAt: new Date().toISOString(),
        });
        // In the same transaction, so no request sees the user enabled with a credential from
        // before: whatever may have leaked while it was disabled does not come back. A reset
        // link issued while disabled stays (disable, reset, enable recovers a compromised user).
        await endSignIns(tx, user, { keepResetLink: true });
      });
      return reload(ctx, userId);
    },

    async delete(ctx, userId) {
      const user = await target(ctx, userId);
      await change(ctx, user, 'delete the user', 'DELETE', async (tx) => {
        // Sessions, grants, codes, tokens, vault access and reset links go by cascade; the
        // Connect tokens exchanged under the user's grants are revoked first.
        await revokeExchangedConnectTokens(tx, { accountId: user.accountId, userId: user.id });
        await tx.users.delete(user.accountId, user.id);
      });
    },

    async resetPassword(ctx, userId) {
      const user = await target(ctx, userId);
      return createPasswordReset(storage, ctx, user, options.pagesBase(user.accountId));
    },

    async grantVault(ctx, userId, vaultId, permissions) {
      await target(ctx, userId);
      await authorizeVault(storage, ctx, vaultId, 'manage');
      const unique = [...new Set(permissions)].sort() as VaultPermission[];
      await storage.transaction(async (tx) => {
        await tx.vaultAccess.set({ vaultId, userId, permissions: unique });
        await recordAudit(tx.audit, ctx, {
          action: 'UPDATE',
          resourceType: 'VAULT',
          vaultId,
          resourceId: userId,
          result: 'SUCCESS',
        });
      });
      return { userId, vaultId, permissions: unique };
    },

    async revokeVault(ctx, userId, vaultId) {
      await target(ctx, userId);
      await authorizeVault(storage, ctx, vaultId, 'manage');
      await storage.transaction(async (tx) => {
        // The user held first: of two revocations at once, on any nodes, the second reads what
        // the first did and is told 404 (and records nothing).
        await tx.users.get(ctx.actor.accountId, userId, 'update');
        const had = (await tx.vaultAccess.listForUser(userId)).some((a) => a.vaultId === vaultId);
        if (!had) throw notFound(`user ${userId} has no access to vault ${vaultId}`);
        await tx.vaultAccess.set({ vaultId, userId, permissions: [] });
        await recordAudit(tx.audit, ctx, {
          action: 'DELETE',
          resourceType: 'VAULT',
          vaultId,
          resourceId: userId,
          result: 'SUCCESS',
        });
      });
    },

    async vaultGrants(ctx, userId) {
      await authorizeAccount(storage, ctx, 'users:read', { denied: { resourceId: userId } });
      await load(ctx, userId);
      return storage.vaultAccess.listForUser(userId);
    },
  };
}
