import { parseItemFilter } from '../../domain/connect/filter.js';
import { parseInput } from '../validate.js';
import type { ConnectRouteContext } from './app.js';
import { bytes, connectCall, JSON_CONTENT, json, noContent } from './exchange.js';
import { rawFilter } from './raw-filter.js';
import type { ConnectRoutes } from './routes.js';
import { itemParams, vaultParams } from './schemas.js';

export function itemRoutes(routes: ConnectRoutes, { central }: ConnectRouteContext): void {
  routes.get('/v1/vaults/:vaultId/items', async (request) => {
    const { vaultId } = parseInput(vaultParams, request.params, 'path');
    const filter = parseItemFilter(rawFilter(request.url), { plusIsSpace: false });
    return json(await central.listItems(connectCall(request), vaultId, filter));
  });
  // Connect answers 200 (not 201) to a create; clients depend on it.
  routes.post('/v1/vaults/:vaultId/items', async (request) => {
    const { vaultId } = parseInput(vaultParams, request.params, 'path');
    return json(await central.createItem(connectCall(request), vaultId, request.body));
  });
  routes.get('/v1/vaults/:vaultId/items/:itemId', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    return bytes(await central.getItem(connectCall(request), vaultId, itemId), JSON_CONTENT);
  });
  routes.put('/v1/vaults/:vaultId/items/:itemId', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    return json(await central.replaceItem(connectCall(request), vaultId, itemId, request.body));
  });
  routes.patch('/v1/vaults/:vaultId/items/:itemId', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    return json(await central.patchItem(connectCall(request), vaultId, itemId, request.body ?? []));
  });
  routes.delete('/v1/vaults/:vaultId/items/:itemId', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    await central.deleteItem(connectCall(request), vaultId, itemId);
    return noContent();
  });
}
