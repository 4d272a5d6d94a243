import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { createdUser, passwordResetLink, user, vaultGrant } from './responses/people.js';
import { adminRoute } from './route.js';
import {
  createUserBody,
  grantBody,
  setNameBody,
  setRoleBody,
  userParams,
  userQuery,
  userVaultParams,
} from './schemas.js';

export function userRoutes(app: FastifyInstance, { users }: Services): void {
  const tag = 'Users';
  adminRoute(app, {
    method: 'GET',
    path: '/users',
    summary: "The account's users, or the one with an email",
    tag,
    query: userQuery,
    response: { status: 200, body: z.array(user) },
    handler: async ({ ctx, query: { email } }) =>
      email === undefined ? users.list(ctx) : [await users.findByEmail(ctx, email)],
  });
  adminRoute(app, {
    method: 'POST',
    path: '/users',
    summary: 'Create a user (a generated password is shown once)',
    tag,
    body: createUserBody,
    response: { status: 201, body: createdUser },
    handler: ({ ctx, body }) =>
      users.create(ctx, {
        email: body.email,
        role: body.role,
        name: body.name ?? null,
        ...(body.password === undefined ? {} : { password: body.password }),
      }),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/users/:userId',
    summary: 'One user',
    tag,
    params: userParams,
    response: { status: 200, body: user },
    handler: ({ ctx, params }) => users.get(ctx, params.userId),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/users/:userId',
    summary: 'Delete a user with their sessions, grants, tokens and vault access',
    tag,
    params: userParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => users.delete(ctx, params.userId),
  });
  adminRoute(app, {
    method: 'PUT',
    path: '/users/:userId/role',
    summary: "Change a user's role",
    tag,
    params: userParams,
    body: setRoleBody,
    response: { status: 200, body: user },
    handler: ({ ctx, params, body }) => users.setRole(ctx, params.userId, body.role),
  });
  adminRoute(app, {
    method: 'PUT',
    path: '/users/:userId/name',
    summary: "Set or remove (null) a user's display name",
    description:
      'Anyone signed in may rename themselves; renaming someone else needs what a role change needs (`users:write` over their role). The name is trimmed and kept in Unicode NFC: 1 to 200 characters, no control or bidirectional control characters. It is the OpenID Connect `name` claim.',
    tag,
    params: userParams,
    body: setNameBody,
    response: { status: 200, body: user },
    handler: ({ ctx, params, body }) => users.setName(ctx, params.userId, body.name),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/users/:userId/disable',
    summary: 'Disable a user: none of their credentials work',
    tag,
    params: userParams,
    response: { status: 200, body: user },
    handler: ({ ctx, params }) => users.disable(ctx, params.userId),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/users/:userId/enable',
    summary: 'Enable a disabled user',
    tag,
    params: userParams,
    response: { status: 200, body: user },
    handler: ({ ctx, params }) => users.enable(ctx, params.userId),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/users/:userId/password-reset',
    summary: 'A one-time password reset link for a user, valid one hour (shown once)',
    tag,
    params: userParams,
    response: { status: 201, body: passwordResetLink },
    handler: ({ ctx, params }) => users.resetPassword(ctx, params.userId),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/users/:userId/vaults',
    summary: "A user's vault permissions",
    tag,
    params: userParams,
    response: { status: 200, body: z.array(vaultGrant) },
    handler: ({ ctx, params }) => users.vaultGrants(ctx, params.userId),
  });
  adminRoute(app, {
    method: 'PUT',
    path: '/users/:userId/vaults/:vaultId',
    summary: "Set a user's permissions on a vault (empty removes access)",
    tag,
    params: userVaultParams,
    body: grantBody,
    response: { status: 200, body: vaultGrant },
    handler: ({ ctx, params, body }) =>
      users.grantVault(ctx, params.userId, params.vaultId, body.permissions),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/users/:userId/vaults/:vaultId',
    summary: "Remove a user's access to a vault",
    tag,
    params: userVaultParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => users.revokeVault(ctx, params.userId, params.vaultId),
  });
}
