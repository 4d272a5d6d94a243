import type { FastifyInstance } from 'fastify';
import { matchesItem, parseItemFilter } from '../../domain/connect/filter.js';
import { parseInput } from '../validate.js';
import type { ConnectRouteContext } from './app.js';
import { rawFilter } from './raw-filter.js';
import { itemParams, vaultParams } from './schemas.js';

export function itemRoutes(app: FastifyInstance, { central, call }: ConnectRouteContext): void {
  app.get('/v1/vaults/:vaultId/items', async (request) => {
    const { vaultId } = parseInput(vaultParams, request.params, 'path');
    const filter = parseItemFilter(rawFilter(request.url), { plusIsSpace: false });
    const items = await central.listItems(call(request), vaultId);
    return filter ? items.filter((i) => matchesItem(filter, i)) : items;
  });
  // Connect answers 200 (not 201) to a create; clients depend on it.
  app.post('/v1/vaults/:vaultId/items', async (request) => {
    const { vaultId } = parseInput(vaultParams, request.params, 'path');
    return central.createItem(call(request), vaultId, request.body);
  });
  app.get('/v1/vaults/:vaultId/items/:itemId', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    return central.getItem(call(request), vaultId, itemId);
  });
  app.put('/v1/vaults/:vaultId/items/:itemId', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    return central.replaceItem(call(request), vaultId, itemId, request.body);
  });
  app.patch('/v1/vaults/:vaultId/items/:itemId', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    return central.patchItem(call(request), vaultId, itemId, request.body ?? []);
  });
  app.delete('/v1/vaults/:vaultId/items/:itemId', async (request, reply) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    await central.deleteItem(call(request), vaultId, itemId);
    reply.status(204).send();
  });
}
