import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { vault } from './responses.js';
import { adminRoute } from './route.js';
import { createVaultBody, vaultParams } from './schemas.js';

export function vaultRoutes(app: FastifyInstance, { vaults }: Services): void {
  const tag = 'Vaults';
  adminRoute(app, {
    method: 'GET',
    path: '/vaults',
    summary: 'The vaults the caller may see',
    tag,
    response: { status: 200, body: z.array(vault) },
    handler: ({ ctx }) => vaults.list(ctx),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/vaults',
    summary: 'Create a vault',
    tag,
    body: createVaultBody,
    response: { status: 201, body: vault },
    handler: ({ ctx, body }) => vaults.create(ctx, { name: body.name, description: body.description ?? '' }),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/vaults/:vaultId',
    summary: 'One vault',
    tag,
    params: vaultParams,
    response: { status: 200, body: vault },
    handler: ({ ctx, params }) => vaults.get(ctx, params.vaultId),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/vaults/:vaultId',
    summary: 'Delete a vault with its items, their history and files',
    tag,
    params: vaultParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => vaults.delete(ctx, params.vaultId),
  });
}
