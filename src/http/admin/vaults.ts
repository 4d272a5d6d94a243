import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { vault } from './responses/items.js';
import { adminRoute } from './route.js';
import { createVaultBody, updateVaultBody, vaultParams } from './schemas.js';

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
    method: 'PATCH',
    path: '/vaults/:vaultId',
    summary: 'Rename a vault or change its description',
    description:
      'What is left out stays as it is. Bumps `attributeVersion`; Connect servers that reach the vault see the new name with their next change. Needs `manage` on the vault.',
    tag,
    params: vaultParams,
    body: updateVaultBody,
    response: { status: 200, body: vault },
    handler: ({ ctx, params, body }) =>
      vaults.update(ctx, params.vaultId, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.description === undefined ? {} : { description: body.description }),
      }),
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
