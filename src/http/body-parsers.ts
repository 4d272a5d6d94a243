import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors/app-error.js';
import { decodeStrictUtf8, parseStrictJson } from './strict-json.js';

/**
 * Strict request body parsing, replacing Fastify's defaults:
 * - JSON as parseStrictJson reads it (valid UTF-8, no prototype keys, empty = no body).
 * - `application/octet-stream` arrives as a Buffer (file uploads), with its own size limit.
 */
export function registerBodyParsers(app: FastifyInstance, limits: { json: number; file: number }): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limits.json }, strictJson);
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: limits.file },
    (_req, body, done) => done(null, body),
  );
}

/**
 * `application/json-patch+json` (RFC 6902's media type), read exactly as JSON is, for the user
 * vault API's PATCH only (registered inside its plugin; the Connect routes refuse it elsewhere).
 */
export function registerJsonPatchParser(app: FastifyInstance, limit: number): void {
  app.addContentTypeParser(
    'application/json-patch+json',
    { parseAs: 'buffer', bodyLimit: limit },
    strictJson,
  );
}

function strictJson(
  _req: unknown,
  body: string | Buffer,
  done: (error: Error | null, body?: unknown) => void,
) {
  try {
    done(null, parseStrictJson(body as Buffer));
  } catch (error) {
    done(error as Error, undefined);
  }
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
        form = new URLSearchParams(decodeStrictUtf8(body as Buffer));
      } catch (error) {
        return done(error as Error, undefined);
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
