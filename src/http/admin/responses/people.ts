import { z } from 'zod';
import { VAULT_PERMISSIONS } from '../../../domain/access/permissions.js';
import { ADMIN_TOKEN_ROLES, USER_ROLES } from '../../../domain/access/roles.js';
import { id, time } from './common.js';

/** `WhoAmI` (domain/accounts/whoami.ts). */
export const whoAmI = z
  .strictObject({
    accountId: id,
    tokenId: z.string().nullable(),
    operator: z.boolean(),
    kind: z.enum(['admin_token', 'user', 'other']),
    role: z.string().nullable(),
    user: z.strictObject({ id, email: z.string(), name: z.string().nullable() }).optional(),
    token: z.strictObject({ id, name: z.string() }).optional(),
  })
  .meta({ id: 'WhoAmI' });

/** `AdminTokenView` (domain/admin-tokens). */
export const adminToken = z
  .strictObject({
    id,
    name: z.string(),
    role: z.enum(ADMIN_TOKEN_ROLES),
    status: z.enum(['active', 'expired', 'revoked']),
    createdAt: time,
    createdBy: z.string().nullable(),
    expiresAt: time.nullable(),
    revokedAt: time.nullable(),
  })
  .meta({ id: 'AdminToken' });
export const createdAdminToken = adminToken
  .extend({ token: z.string().meta({ description: 'The secret (`khadm_…`), shown once.' }) })
  .meta({ id: 'CreatedAdminToken' });

/** `AccountRecord` and `CreatedAccount` (storage/ports/people.ts, domain/accounts). */
export const account = z
  .strictObject({ id, name: z.string(), createdAt: time, operator: z.boolean() })
  .meta({ id: 'Account' });
export const createdAccount = account
  .extend({ adminToken: z.string().meta({ description: "The account's first owner token, shown once." }) })
  .meta({ id: 'CreatedAccount' });

/** `UserView`, `CreatedUser`, `VaultGrantView`, `PasswordResetLink` (domain/users). */
export const user = z
  .strictObject({
    id,
    email: z.string(),
    name: z.string().nullable().meta({ description: 'The person’s display name; null when they have none.' }),
    role: z.enum(USER_ROLES),
    enabled: z.boolean(),
    disabledAt: time.nullable(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'User' });
export const createdUser = user
  .extend({ password: z.string().optional().meta({ description: 'Only when generated; shown once.' }) })
  .meta({ id: 'CreatedUser' });
export const vaultGrant = z
  .strictObject({ userId: id, vaultId: id, permissions: z.array(z.enum(VAULT_PERMISSIONS)) })
  .meta({ id: 'VaultGrant' });
export const passwordResetLink = z
  .strictObject({
    userId: id,
    url: z.string().meta({ description: 'The one-time page that sets a new password; holds the secret.' }),
    expiresAt: time,
  })
  .meta({ id: 'PasswordResetLink' });

/** `MfaStatus`, the reset's answer and `AccountPolicyView` (domain/mfa/mfa-service.ts). */
export const mfaStatus = z
  .strictObject({ userId: id, enabled: z.boolean(), recoveryCodesLeft: z.number().int().min(0) })
  .meta({ id: 'MfaStatus' });
export const mfaReset = z.strictObject({ userId: id, removed: z.boolean() }).meta({ id: 'MfaReset' });
export const accountPolicy = z
  .strictObject({ requireMfa: z.boolean(), requirePushedAuthorizationRequests: z.boolean() })
  .meta({ id: 'AccountPolicy' });
