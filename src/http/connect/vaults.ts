import type { FastifyInstance } from 'fastify';
import { matchesVault, parseVaultFilter } from '../../domain/connect/filter.js';
import { parseInput } from '../validate.js';
import type { ConnectRouteContext } from './app.js';
import { rawFilter } from './raw-filter.js';
import { vaultParams } from './schemas.js';

export function vaultRoutes(app: FastifyInstance, { central, call }: ConnectRouteContext): void {
  app.get('/v1/vaults', async (request) => {
    const filter = parseVaultFilter(rawFilter(request.url), { plusIsSpace: false });
    const vaults = await central.listVaults(call(request));
    return filter ? vaults.filter((v) => matchesVault(filter, v)) : vaults;
  });
  app.get('/v1/vaults/:vaultId', async (request) => {
    const { vaultId } = parseInput(vaultParams, request.params, 'path');
    return central.getVault(call(request), vaultId);
  });
}
