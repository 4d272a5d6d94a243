import { matchesVault, parseVaultFilter } from '../../domain/connect/filter.js';
import { parseInput } from '../validate.js';
import type { ConnectRouteContext } from './app.js';
import { connectCall, json } from './exchange.js';
import { rawFilter } from './raw-filter.js';
import type { ConnectRoutes } from './routes.js';
import { vaultParams } from './schemas.js';

export function vaultRoutes(routes: ConnectRoutes, { central }: ConnectRouteContext): void {
  routes.get('/v1/vaults', async (request) => {
    const filter = parseVaultFilter(rawFilter(request.url), { plusIsSpace: false });
    const vaults = await central.listVaults(connectCall(request));
    return json(filter ? vaults.filter((v) => matchesVault(filter, v)) : vaults);
  });
  routes.get('/v1/vaults/:vaultId', async (request) => {
    const { vaultId } = parseInput(vaultParams, request.params, 'path');
    return json(await central.getVault(connectCall(request), vaultId));
  });
}
