import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { createVaultBody, vaultParams } from './schemas.js';

export function vaultRoutes(app: FastifyInstance, { vaults }: Services): void {
  app.get('/vaults', async (request) => vaults.list(request.ctx));
  app.post('/vaults', async (request, reply) => {
    const body = parseInput(createVaultBody, request.body, 'body');
    reply.status(201);
    return vaults.create(request.ctx, { name: body.name, description: body.description ?? '' });
  });
  app.get('/vaults/:vaultId', async (request) => {
    const { vaultId } = parseInput(vaultParams, request.params, 'path');
    return vaults.get(request.ctx, vaultId);
  });
  app.delete('/vaults/:vaultId', async (request, reply) => {
    const { vaultId } = parseInput(vaultParams, request.params, 'path');
    await vaults.delete(request.ctx, vaultId);
    reply.status(204).send();
  });
}
