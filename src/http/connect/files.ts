import type { FileView } from '../../domain/items/file-service.js';
import { payloadTooLarge, unsupportedMediaType } from '../../errors/app-error.js';
import { contentDisposition } from '../admin/files.js';
import { parseInput } from '../validate.js';
import type { ConnectRouteContext } from './app.js';
import { bytes, type ConnectRequest, connectCall, json } from './exchange.js';
import type { ConnectRoutes } from './routes.js';
import { fileParams, inlineQuery, itemParams, uploadQuery } from './schemas.js';

export function fileRoutes(routes: ConnectRoutes, { central, limits }: ConnectRouteContext): void {
  /** Adds base64 content when asked; a file over the inline limit must be fetched from its content route. */
  const inline = async (request: ConnectRequest, vaultId: string, itemId: string, file: FileView) => {
    if (file.size > limits.inlineFile) {
      throw payloadTooLarge(
        `file ${file.id} is ${file.size} bytes, over the inline limit of ${limits.inlineFile}; fetch it from ${file.content_path}`,
      );
    }
    const { content } = await central.fileContent(connectCall(request), vaultId, itemId, file.id);
    return { ...file, content: content.toString('base64') };
  };

  routes.get('/v1/vaults/:vaultId/items/:itemId/files', async (request) => {
    const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
    const withContent = parseInput(inlineQuery, request.query, 'query');
    const files = await central.listFiles(connectCall(request), vaultId, itemId);
    return json(
      withContent ? await Promise.all(files.map((f) => inline(request, vaultId, itemId, f))) : files,
    );
  });
  routes.get('/v1/vaults/:vaultId/items/:itemId/files/:fileId', async (request) => {
    const { vaultId, itemId, fileId } = parseInput(fileParams, request.params, 'path');
    const withContent = parseInput(inlineQuery, request.query, 'query');
    const file = await central.getFile(connectCall(request), vaultId, itemId, fileId);
    return json(withContent ? await inline(request, vaultId, itemId, file) : file);
  });
  routes.get('/v1/vaults/:vaultId/items/:itemId/files/:fileId/content', async (request) => {
    const { vaultId, itemId, fileId } = parseInput(fileParams, request.params, 'path');
    const { file, content } = await central.fileContent(connectCall(request), vaultId, itemId, fileId);
    return bytes(content, {
      'content-type': 'application/octet-stream',
      'content-disposition': contentDisposition(file.name),
    });
  });
  // Beyond Connect: uploading a file (raw bytes, name in the query).
  routes.post(
    '/v1/vaults/:vaultId/items/:itemId/files',
    async (request) => {
      const { vaultId, itemId } = parseInput(itemParams, request.params, 'path');
      const { name } = parseInput(uploadQuery, request.query, 'query');
      if (!Buffer.isBuffer(request.body)) {
        throw unsupportedMediaType(
          'Upload the file as the request body with Content-Type: application/octet-stream',
        );
      }
      return json(
        await central.addFile(connectCall(request), vaultId, itemId, { name, content: request.body }),
        201,
      );
    },
    'bytes',
  );
}
