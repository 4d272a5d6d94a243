import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CONSOLE_HEADERS, missingPage, notFoundPage } from './pages.js';

/** Where `npm run build` writes the console (scripts/build-console.mjs); the same from src/ and dist/. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

/**
 * An asset's name as the build writes it: `app-<hash>.js`, `styles-<hash>.css`. Anything else is
 * not one (so no `..`, no slash, no other directory can be named).
 */
const ASSET_NAME = /^[A-Za-z0-9_-]{1,100}\.(js|css)$/;
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
/** Assets are named by their content's hash: a name never changes meaning. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/**
 * The web console (docs/console.md): static files from `dir`, with the console's CSP and
 * framing headers on every answer. `/` sends people to it. index.html is read on every request
 * (no-store), so a rebuild is served at once; a missing build answers 503 saying how to make it.
 * The console routes with the URL's fragment (`/console/#/vaults`), so no other path under
 * /console/ is a page: it is a 404.
 */
export function consoleRoutes(dir: string = CONSOLE_DIR) {
  const assets = new Map<string, Buffer>();
  const page = (reply: FastifyReply, status: number, html: string) =>
    reply.status(status).headers(CONSOLE_HEADERS).type('text/html; charset=utf-8').send(html);

  return async (app: FastifyInstance) => {
    app.get('/', async (_request, reply) => reply.redirect('/console/', 302));
    app.get('/console/', async (request, reply) => {
      let html: Buffer;
      try {
        html = await readFile(join(dir, 'index.html'));
      } catch (error) {
        request.log.warn({ err: error }, 'the web console is not built');
        return page(reply, 503, missingPage).header('retry-after', '60');
      }
      return page(reply, 200, html.toString('utf8'));
    });
    app.get<{ Params: { name: string } }>('/console/assets/:name', async (request, reply) => {
      const { name } = request.params;
      const type = ASSET_NAME.exec(name)?.[1];
      let bytes = assets.get(name);
      if (type && !bytes) {
        bytes = await readFile(join(dir, 'assets', name)).catch(() => undefined);
        if (bytes) assets.set(name, bytes);
      }
      if (!type || !bytes) return page(reply, 404, notFoundPage);
      return reply
        .headers(CONSOLE_HEADERS)
        .header('cache-control', ASSET_CACHE)
        .type(TYPES[type] as string)
        .send(bytes);
    });
    app.get('/console/*', async (_request, reply) => page(reply, 404, notFoundPage));
  };
}
