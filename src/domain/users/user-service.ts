import { newId } from '../../crypto/ids.js';
import { conflict, invalidInput, notFound } from '../../errors/app-error.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { Storage, UserRecord } from '../../storage/ports.js';
import { authorizeAccount, authorizeVault } from '../access/authorize.js';
import type { VaultPermission } from '../access/permissions.js';
import type { UserRole } from '../access/roles.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-policy.js';
import { generatePassword, hashPassword } from './passwords.js';

export interface UserView {
  id: string;
  email: string;
  role: UserRole;
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
    input: { email: string; role: UserRole; password?: string },
  ): Promise<CreatedUser>;
  list(ctx: RequestContext): Promise<UserView[]>;
  get(ctx: RequestContext, userId: string): Promise<UserView>;
  findByEmail(ctx: RequestContext, email: string): Promise<UserView>;
  grantVault(
    ctx: RequestContext,
    userId: string,
    vaultId: string,
    permissions: VaultPermission[],
  ): Promise<VaultGrantView>;
  vaultGrants(ctx: RequestContext, userId: string): Promise<VaultGrantView[]>;
}

const view = (u: UserRecord): UserView => ({
  id: u.id,
  email: u.email,
  role: u.role,
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
});

export function userService(storage: Storage): UserService {
  const load = async (ctx: RequestContext, userId: string) => {
    const user = await storage.users.get(ctx.actor.accountId, userId);
    if (!user) throw notFound(`user ${userId} not found`);
    return user;
  };

  return {
    async create(ctx, input) {
      await authorizeAccount(storage, ctx, 'users:write', {
        subject: input.role,
        denied: { action: 'CREATE' },
      });
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
      return generated === undefined ? view(user) : { ...view(user), password: generated };
    },

    async list(ctx) {
      await authorizeAccount(storage, ctx, 'users:read');
      return (await storage.users.list(ctx.actor.accountId)).map(view);
    },

    async get(ctx, userId) {
      await authorizeAccount(storage, ctx, 'users:read', { denied: { resourceId: userId } });
      return view(await load(ctx, userId));
    },

    async findByEmail(ctx, email) {
      await authorizeAccount(storage, ctx, 'users:read');
      const user = await storage.users.findByEmail(ctx.actor.accountId, email);
      if (!user) throw notFound(`user ${email} not found`);
      return view(user);
    },

    async grantVault(ctx, userId, vaultId, permissions) {
      await authorizeAccount(storage, ctx, 'users:write', { denied: { resourceId: userId } });
      const user = await load(ctx, userId);
      await authorizeAccount(storage, ctx, 'users:write', {
        subject: user.role,
        denied: { resourceId: userId },
      });
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

    async vaultGrants(ctx, userId) {
      await authorizeAccount(storage, ctx, 'users:read', { denied: { resourceId: userId } });
      await load(ctx, userId);
      return storage.vaultAccess.listForUser(userId);
    },
  };
}
