import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { itemParams, vaultParams, versionParams } from './schemas.js';

export function itemRoutes(app: FastifyInstance, { items }: Services): void {
  app.get('/vaults/:vaultId/items', async (request) => {
    const { vaultId } = parseInput(vaultParams, request.params, 'path');
    return items.list(request.ctx, vaultId);
  });
  app.post('/vaults/:vaultId/items', async (request, reply) => {
    const { vaultId } = parseInput(vaultParams, request.params, 'path');
    const created = await items.create(request.ctx, vaultId, request.body);
    reply.status(201);
    return created;
  });
  app.get('/vaults/:vaultId/items/:itemId', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    return items.get(request.ctx, vaultId, itemId);
  });
  app.put('/vaults/:vaultId/items/:itemId', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    return items.replace(request.ctx, vaultId, itemId, request.body);
  });
  app.delete('/vaults/:vaultId/items/:itemId', async (request, reply) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    await items.delete(request.ctx, vaultId, itemId);
    reply.status(204).send();
  });
  app.get('/vaults/:vaultId/items/:itemId/versions', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    return items.history(request.ctx, vaultId, itemId);
  });
  app.get('/vaults/:vaultId/items/:itemId/versions/:version', async (request) => {
    const { vaultId, itemId, version } = parseInput(versionParams, request.params, 'path');
    return items.getVersion(request.ctx, vaultId, itemId, version);
  });
}
