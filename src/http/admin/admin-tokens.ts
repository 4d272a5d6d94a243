import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ADMIN_TOKEN_ROLES, DEFAULT_ADMIN_TOKEN_ROLE } from '../../domain/access/roles.js';
import { displayName } from '../../domain/text.js';
import { tokenLifetime } from '../../domain/token-lifetime.js';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { id } from './schemas.js';

const createAdminTokenBody = z.strictObject({
  name: displayName(200),
  role: z.enum(ADMIN_TOKEN_ROLES).default(DEFAULT_ADMIN_TOKEN_ROLE),
  /** Lifetime in seconds; absent = no expiry (unless the caller itself expires: see decide). */
  expiresIn: tokenLifetime.optional(),
});
const adminTokenParams = z.strictObject({ tokenId: id });

/** Admin API tokens: made, listed (never the secret) and revoked (see docs/admin-api.md). */
export function adminTokenRoutes(app: FastifyInstance, { adminTokens }: Services): void {
  app.post('/admin-tokens', async (request, reply) => {
    const body = parseInput(createAdminTokenBody, request.body, 'body');
    const created = await adminTokens.create(request.ctx, {
      name: body.name,
      role: body.role,
      ...(body.expiresIn === undefined ? {} : { expiresInSeconds: body.expiresIn }),
    });
    reply.status(201);
    return created;
  });
  app.get('/admin-tokens', async (request) => adminTokens.list(request.ctx));
  app.delete('/admin-tokens/:tokenId', async (request, reply) => {
    const { tokenId } = parseInput(adminTokenParams, request.params, 'path');
    await adminTokens.revoke(request.ctx, tokenId);
    reply.status(204).send();
  });
}
