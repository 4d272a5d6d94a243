import type { FastifyInstance } from 'fastify';
import { unsupportedMediaType } from '../../errors/app-error.js';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { fileParams, fileUploadQuery, itemParams } from './schemas.js';

/** RFC 6266 `attachment` with an RFC 5987 UTF-8 name, and an ASCII fallback for old clients. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function fileRoutes(app: FastifyInstance, { files }: Services): void {
  app.get('/vaults/:vaultId/items/:itemId/files', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    return files.list(request.ctx, vaultId, itemId);
  });
  // Upload: the raw bytes are the body; name (and optional section) are query parameters.
  app.post('/vaults/:vaultId/items/:itemId/files', async (request, reply) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    const query = parseInput(fileUploadQuery, request.query, 'query');
    if (!Buffer.isBuffer(request.body)) {
      throw unsupportedMediaType(
        'Upload the file as the request body with Content-Type: application/octet-stream',
      );
    }
    reply.status(201);
    return files.add(request.ctx, vaultId, itemId, {
      name: query.name,
      content: request.body,
      ...(query.section ? { sectionId: query.section } : {}),
    });
  });
  app.get('/vaults/:vaultId/items/:itemId/files/:fileId', async (request) => {
    const { vaultId, itemId, fileId } = parseInput(fileParams, request.params, 'path');
    return files.get(request.ctx, vaultId, itemId, fileId);
  });
  app.get('/vaults/:vaultId/items/:itemId/files/:fileId/content', async (request, reply) => {
    const { vaultId, itemId, fileId } = parseInput(fileParams, request.params, 'path');
    const { file, content } = await files.content(request.ctx, vaultId, itemId, fileId);
    reply.type('application/octet-stream').header('content-disposition', contentDisposition(file.name));
    return content;
  });
  app.delete('/vaults/:vaultId/items/:itemId/files/:fileId', async (request, reply) => {
    const { vaultId, itemId, fileId } = parseInput(fileParams, request.params, 'path');
    await files.delete(request.ctx, vaultId, itemId, fileId);
    reply.status(204).send();
  });
}
