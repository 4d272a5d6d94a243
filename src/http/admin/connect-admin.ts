import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CONNECT_PERMISSIONS } from '../../domain/access/permissions.js';
import { displayName } from '../../domain/text.js';
import { tokenLifetime } from '../../domain/token-lifetime.js';
import type { Services } from '../../services.js';
import { SIGNING_KEY_KINDS } from '../../storage/ports.js';
import { parseInput } from '../validate.js';
import { id } from './schemas.js';

const serverParams = z.strictObject({ serverId: id });
const tokenParams = z.strictObject({ tokenId: id });
const createServerBody = z.strictObject({ name: displayName(200), vaults: z.array(id).max(1000) });
const updateServerBody = z.strictObject({
  addVaults: z.array(id).max(1000).default([]),
  removeVaults: z.array(id).max(1000).default([]),
});
/** New server credentials take no options: an empty body (or none). */
const newCredentialsBody = z.strictObject({});
const createTokenBody = z.strictObject({
  name: displayName(200),
  vaults: z
    .array(z.strictObject({ vaultId: id, permissions: z.array(z.enum(CONNECT_PERMISSIONS)).min(1).max(4) }))
    .min(1)
    .max(1000),
  /** Lifetime in seconds; absent = no expiry. At most ten years. */
  expiresIn: tokenLifetime.optional(),
});

/** Which kind of key to rotate; `connect` when the body or the kind is left out. */
const rotateKeyBody = z.strictObject({ kind: z.enum(SIGNING_KEY_KINDS).default('connect') });

/** Connect servers, their tokens and the account's signing keys of both kinds (see docs/connect.md). */
export function connectAdminRoutes(
  app: FastifyInstance,
  { servers, tokens, signingKeyAdmin }: Services,
): void {
  app.post('/servers', async (request, reply) => {
    const body = parseInput(createServerBody, request.body, 'body');
    reply.status(201);
    return servers.create(request.ctx, { name: body.name, vaultIds: body.vaults });
  });
  app.get('/servers', async (request) => servers.list(request.ctx));
  app.get('/servers/:serverId', async (request) => {
    const { serverId } = parseInput(serverParams, request.params, 'path');
    return servers.get(request.ctx, serverId);
  });
  app.patch('/servers/:serverId', async (request) => {
    const { serverId } = parseInput(serverParams, request.params, 'path');
    const body = parseInput(updateServerBody, request.body ?? {}, 'body');
    return servers.update(request.ctx, serverId, body);
  });
  app.delete('/servers/:serverId', async (request, reply) => {
    const { serverId } = parseInput(serverParams, request.params, 'path');
    await servers.delete(request.ctx, serverId);
    reply.status(204).send();
  });

  // New credentials (secret and key pair): the old secret stops working at once.
  app.post('/servers/:serverId/credentials', async (request, reply) => {
    const { serverId } = parseInput(serverParams, request.params, 'path');
    parseInput(newCredentialsBody, request.body ?? {}, 'body');
    reply.status(201);
    return servers.newCredentials(request.ctx, serverId);
  });

  app.post('/servers/:serverId/tokens', async (request, reply) => {
    const { serverId } = parseInput(serverParams, request.params, 'path');
    const body = parseInput(createTokenBody, request.body, 'body');
    reply.status(201);
    return tokens.create(request.ctx, {
      name: body.name,
      serverId,
      grants: body.vaults,
      ...(body.expiresIn === undefined ? {} : { expiresInSeconds: body.expiresIn }),
    });
  });
  app.get('/servers/:serverId/tokens', async (request) => {
    const { serverId } = parseInput(serverParams, request.params, 'path');
    return tokens.list(request.ctx, serverId);
  });
  app.delete('/tokens/:tokenId', async (request, reply) => {
    const { tokenId } = parseInput(tokenParams, request.params, 'path');
    await tokens.revoke(request.ctx, tokenId);
    reply.status(204).send();
  });

  app.get('/keys', async (request) => ({ keys: await signingKeyAdmin.list(request.ctx) }));
  app.post('/keys/rotate', async (request, reply) => {
    const { kind } = parseInput(rotateKeyBody, request.body ?? {}, 'body');
    reply.status(201);
    return signingKeyAdmin.rotate(request.ctx, kind);
  });
}
