import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { AppError, badRequest } from '../errors/app-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict request body parsing, replacing Fastify's defaults:
 * - JSON must be valid UTF-8 (the default decoder would silently turn bad bytes into U+FFFD and
 *   store the corruption); `__proto__` / `constructor.prototype` keys are refused.
 * - An empty body is no body: clients send `Content-Type: application/json` on GET and DELETE.
 * - `application/octet-stream` arrives as a Buffer (file uploads), with its own size limit.
 */
export function registerBodyParsers(app: FastifyInstance, limits: { json: number; file: number }): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: limits.json },
    (_req, body, done) => {
      const bytes = body as Buffer;
      if (bytes.length === 0) return done(null, undefined);
      let text: string;
      try {
        text = utf8.decode(bytes);
      } catch {
        return done(badRequest('Request body is not valid UTF-8', 'invalid_utf8'), undefined);
      }
      try {
        done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
      } catch (error) {
        const detail =
          error instanceof SyntaxError
            ? error.message
            : 'it contains a forbidden __proto__ or constructor key';
        done(new AppError(400, 'invalid_json', `Request body is not valid JSON: ${detail}`), undefined);
      }
    },
  );
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: limits.file },
    (_req, body, done) => done(null, body),
  );
}

/**
 * `application/x-www-form-urlencoded`, for the OAuth endpoints and pages only (registered inside
 * their plugins, so every other route still answers 415 to a form): URLSearchParams of strictly
 * decoded UTF-8. Repeated parameters are kept for the route to refuse.
 */
export function registerFormParser(app: FastifyInstance, limit: number): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer', bodyLimit: limit },
    (_req, body, done) => {
      let form: URLSearchParams;
      try {
        form = new URLSearchParams(utf8.decode(body as Buffer));
      } catch {
        return done(badRequest('Request body is not valid UTF-8', 'invalid_utf8'), undefined);
      }
      // URLSearchParams turns percent-encoded bad UTF-8 into U+FFFD silently: refuse instead.
      for (const [key, value] of form) {
        if (key.includes('\uFFFD') || value.includes('\uFFFD'))
          return done(badRequest('A form parameter is not valid UTF-8', 'invalid_utf8'), undefined);
      }
      done(null, form);
    },
  );
}
