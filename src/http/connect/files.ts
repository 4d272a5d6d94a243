import type { FastifyInstance } from 'fastify';
import type { FileView } from '../../domain/items/file-service.js';
import { payloadTooLarge, unsupportedMediaType } from '../../errors/app-error.js';
import { contentDisposition } from '../admin/files.js';
import { parseInput } from '../validate.js';
import type { ConnectRouteContext } from './app.js';
import { fileParams, inlineQuery, itemParams, uploadQuery } from './schemas.js';

export function fileRoutes(app: FastifyInstance, { central, call, limits }: ConnectRouteContext): void {
  /** Adds base64 content when asked; a file over the inline limit must be fetched from its content route. */
  const inline = async (
    request: Parameters<ConnectRouteContext['call']>[0],
    vaultId: string,
    itemId: string,
    file: FileView,
  ) => {
    if (file.size > limits.inlineFile) {
      throw payloadTooLarge(
        `file ${file.id} is ${file.size} bytes, over the inline limit of ${limits.inlineFile}; fetch it from ${file.content_path}`,
      );
    }
    const { content } = await central.fileContent(call(request), vaultId, itemId, file.id);
    return { ...file, content: content.toString('base64') };
  };

  app.get('/v1/vaults/:vaultId/items/:itemId/files', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    const withContent = parseInput(inlineQuery, request.query, 'query');
    const files = await central.listFiles(call(request), vaultId, itemId);
    return withContent ? Promise.all(files.map((f) => inline(request, vaultId, itemId, f))) : files;
  });
  app.get('/v1/vaults/:vaultId/items/:itemId/files/:fileId', async (request) => {
    const { vaultId, itemId, fileId } = parseInput(fileParams, request.params, 'path');
    const withContent = parseInput(inlineQuery, request.query, 'query');
    const file = await central.getFile(call(request), vaultId, itemId, fileId);
    return withContent ? inline(request, vaultId, itemId, file) : file;
  });
  app.get('/v1/vaults/:vaultId/items/:itemId/files/:fileId/content', async (request, reply) => {
    const { vaultId, itemId, fileId } = parseInput(fileParams, request.params, 'path');
    const { file, content } = await central.fileContent(call(request), vaultId, itemId, fileId);
    reply.type('application/octet-stream').header('content-disposition', contentDisposition(file.name));
    return content;
  });
  // Beyond Connect: uploading a file (raw bytes, name in the query).
  app.post('/v1/vaults/:vaultId/items/:itemId/files', async (request, reply) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    const { name } = parseInput(uploadQuery, request.query, 'query');
    if (!Buffer.isBuffer(request.body)) {
      throw unsupportedMediaType(
        'Upload the file as the request body with Content-Type: application/octet-stream',
      );
    }
    reply.status(201);
    return central.addFile(call(request), vaultId, itemId, { name, content: request.body });
  });
}
