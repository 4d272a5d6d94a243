import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ADMIN_TOKEN_ROLES, DEFAULT_ADMIN_TOKEN_ROLE } from '../../domain/access/roles.js';
import { displayName } from '../../domain/text.js';
import type { Services } from '../../services.js';
import { adminToken, createdAdminToken } from './responses/people.js';
import { adminRoute } from './route.js';
import { id, tokenLifetime } from './schemas.js';

const createAdminTokenBody = z.strictObject({
  name: displayName(200),
  role: z.enum(ADMIN_TOKEN_ROLES).default(DEFAULT_ADMIN_TOKEN_ROLE),
  /** Lifetime in seconds; absent = no expiry (unless the caller itself expires: see decide). */
  expiresIn: tokenLifetime.optional(),
});
const adminTokenParams = z.strictObject({ tokenId: id });

/** Admin API tokens: made, listed (never the secret) and revoked (see docs/admin-api.md). */
export function adminTokenRoutes(app: FastifyInstance, { adminTokens }: Services): void {
  const tag = 'Admin tokens';
  adminRoute(app, {
    method: 'POST',
    path: '/admin-tokens',
    summary: 'Create an admin API token (the secret is shown once)',
    tag,
    body: createAdminTokenBody,
    response: { status: 201, body: createdAdminToken },
    handler: ({ ctx, body }) =>
      adminTokens.create(ctx, {
        name: body.name,
        role: body.role,
        ...(body.expiresIn === undefined ? {} : { expiresInSeconds: body.expiresIn }),
      }),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/admin-tokens',
    summary: "The account's admin tokens, oldest first, never a secret",
    tag,
    response: { status: 200, body: z.array(adminToken) },
    handler: ({ ctx }) => adminTokens.list(ctx),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/admin-tokens/:tokenId',
    summary: 'Revoke an admin token',
    tag,
    params: adminTokenParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => adminTokens.revoke(ctx, params.tokenId),
  });
}
