import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { itemInputSchema } from '../../domain/items/input.js';
import { restoreBody } from '../../domain/items/item-service.js';
import type { Services } from '../../services.js';
import { fullItem, itemPage, itemSummary, itemVersion, trashedItem, writtenItem } from './responses/items.js';
import { adminRoute } from './route.js';
import { deleteItemQuery, itemPageQuery, itemParams, vaultParams, versionParams } from './schemas.js';

/** Items in the Connect model. Their bodies are checked by the item service, which audits a refused write. */
export function itemRoutes(app: FastifyInstance, { items }: Services): void {
  const tag = 'Items';
  const written =
    'The item as written; a caller who may write the vault but not read it gets a receipt (id, vault, version, dates).';
  adminRoute(app, {
    method: 'GET',
    path: '/vaults/:vaultId/items',
    summary: "A vault's items, without fields, sections or files",
    tag,
    params: vaultParams,
    response: { status: 200, body: z.array(itemSummary) },
    handler: ({ ctx, params }) => items.list(ctx, params.vaultId),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/vaults/:vaultId/items/search',
    summary: "One page of a vault's items in title order, searched by title, tag and URL",
    description:
      'What the console lists: at most `limit` item summaries, sorted by title (case-insensitive), ' +
      'optionally narrowed by `q`. Answered from an in-memory index of decrypted overviews that the ' +
      "next request rebuilds after any write to the vault's items, so a large vault pages and " +
      'searches in milliseconds (docs/performance.md). Audited as a read of the vault.',
    tag,
    params: vaultParams,
    query: itemPageQuery,
    response: { status: 200, body: itemPage },
    handler: ({ ctx, params, query }) => items.page(ctx, params.vaultId, query),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/vaults/:vaultId/items',
    summary: 'Create an item (version 1)',
    tag,
    params: vaultParams,
    unparsedBody: { json: itemInputSchema },
    response: { status: 201, body: writtenItem, description: written },
    handler: ({ ctx, params, body }) => items.create(ctx, params.vaultId, body),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/vaults/:vaultId/items/:itemId',
    summary: 'One item with its fields and files (an audited read of its secrets)',
    tag,
    params: itemParams,
    response: { status: 200, body: fullItem },
    handler: ({ ctx, params }) => items.get(ctx, params.vaultId, params.itemId),
  });
  adminRoute(app, {
    method: 'PUT',
    path: '/vaults/:vaultId/items/:itemId',
    summary: 'Replace an item (the next version); a stale `version` is a conflict',
    tag,
    params: itemParams,
    unparsedBody: { json: itemInputSchema },
    response: { status: 200, body: writtenItem, description: written },
    handler: ({ ctx, params, body }) => items.replace(ctx, params.vaultId, params.itemId, body),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/vaults/:vaultId/items/:itemId',
    summary: "Move an item to its vault's trash; with `permanent=true`, delete it with its history and files",
    description:
      'A trashed item is neither listed nor readable (here or over Connect) until undeleted; its versions and files are kept.',
    tag,
    params: itemParams,
    query: deleteItemQuery,
    response: { status: 204 },
    handler: ({ ctx, params, query }) =>
      query.permanent === 'true'
        ? items.deletePermanently(ctx, params.vaultId, params.itemId, 'items')
        : items.delete(ctx, params.vaultId, params.itemId),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/vaults/:vaultId/trash',
    summary: "The vault's trash: deleted items, most recently deleted first",
    tag,
    params: vaultParams,
    response: { status: 200, body: z.array(trashedItem) },
    handler: ({ ctx, params }) => items.listTrash(ctx, params.vaultId),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/vaults/:vaultId/trash/:itemId/undelete',
    summary: 'Take an item out of the trash, as it was (same version)',
    tag,
    params: itemParams,
    response: { status: 200, body: writtenItem, description: written },
    handler: ({ ctx, params }) => items.undelete(ctx, params.vaultId, params.itemId),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/vaults/:vaultId/trash/:itemId',
    summary: 'Delete an item in the trash permanently, with its history and files',
    tag,
    params: itemParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => items.deletePermanently(ctx, params.vaultId, params.itemId, 'trash'),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/vaults/:vaultId/items/:itemId/versions',
    summary: "An item's versions, newest first",
    tag,
    params: itemParams,
    response: { status: 200, body: z.array(itemVersion) },
    handler: ({ ctx, params }) => items.history(ctx, params.vaultId, params.itemId),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/vaults/:vaultId/items/:itemId/versions/:version',
    summary: 'An item as it was at one version',
    tag,
    params: versionParams,
    response: { status: 200, body: fullItem },
    handler: ({ ctx, params }) => items.getVersion(ctx, params.vaultId, params.itemId, params.version),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/vaults/:vaultId/items/:itemId/versions/:version/restore',
    summary: "Store version `n`'s content as the item's next version (history is kept)",
    description:
      'Optionally `{"currentVersion": N}`: when the item is no longer at N, `409 version_conflict`. Files are not versioned: the item keeps its files.',
    tag,
    params: versionParams,
    unparsedBody: { json: restoreBody },
    response: { status: 200, body: writtenItem, description: written },
    handler: ({ ctx, params, body }) =>
      items.restore(ctx, params.vaultId, params.itemId, params.version, body),
  });
}
