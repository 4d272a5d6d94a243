import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { unsupportedMediaType } from '../../errors/app-error.js';
import type { Services } from '../../services.js';
import { file } from './responses/items.js';
import { adminRoute } from './route.js';
import { fileParams, fileUploadQuery, itemParams } from './schemas.js';

/** RFC 6266 `attachment` with an RFC 5987 UTF-8 name, and an ASCII fallback for old clients. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const OCTETS = 'application/octet-stream';

export function fileRoutes(app: FastifyInstance, { files }: Services): void {
  const tag = 'Files';
  adminRoute(app, {
    method: 'GET',
    path: '/vaults/:vaultId/items/:itemId/files',
    summary: "An item's files",
    tag,
    params: itemParams,
    response: { status: 200, body: z.array(file) },
    handler: ({ ctx, params }) => files.list(ctx, params.vaultId, params.itemId),
  });
  // Upload: the raw bytes are the body; name (and optional section) are query parameters.
  adminRoute(app, {
    method: 'POST',
    path: '/vaults/:vaultId/items/:itemId/files',
    summary: 'Attach a file to an item: the raw bytes are the body',
    tag,
    params: itemParams,
    query: fileUploadQuery,
    unparsedBody: { bytes: OCTETS },
    response: { status: 201, body: file },
    handler: ({ ctx, params: { vaultId, itemId }, query, body }) => {
      if (!Buffer.isBuffer(body)) {
        throw unsupportedMediaType(`Upload the file as the request body with Content-Type: ${OCTETS}`);
      }
      return files.add(ctx, vaultId, itemId, {
        name: query.name,
        content: body,
        ...(query.section ? { sectionId: query.section } : {}),
      });
    },
  });
  adminRoute(app, {
    method: 'GET',
    path: '/vaults/:vaultId/items/:itemId/files/:fileId',
    summary: "A file's description",
    tag,
    params: fileParams,
    response: { status: 200, body: file },
    handler: ({ ctx, params }) => files.get(ctx, params.vaultId, params.itemId, params.fileId),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/vaults/:vaultId/items/:itemId/files/:fileId/content',
    summary: "A file's bytes, as an attachment",
    tag,
    params: fileParams,
    response: { status: 200, bytes: OCTETS },
    handler: async ({ ctx, params, reply }) => {
      const { file, content } = await files.content(ctx, params.vaultId, params.itemId, params.fileId);
      reply.type(OCTETS).header('content-disposition', contentDisposition(file.name));
      return content;
    },
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/vaults/:vaultId/items/:itemId/files/:fileId',
    summary: 'Delete a file',
    tag,
    params: fileParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => files.delete(ctx, params.vaultId, params.itemId, params.fileId),
  });
}
