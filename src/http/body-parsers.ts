import type { FastifyInstance } from 'fastify';
import { sizeInWords } from '../config/size-in-words.js';
import { badRequest, payloadTooLarge } from '../errors/app-error.js';
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
  // An upload whose declared length is over the limit is refused before it is read, saying the
  // limit (Fastify's own refusal names none); one sent without a length stops at the parser's.
  // Refused here, the connection stays open and Node reads the rest of the body into nothing, so
  // the client is still sending when the answer arrives and reads it (Fastify's own refusal
  // closes the socket with the body unread: the reset loses the 413 and the client sees EPIPE).
  // The server's request timeout still bounds a client that never stops sending.
  app.addHook('preParsing', async (request) => {
    const declared = Number(request.headers['content-length']);
    if (request.headers['content-type']?.startsWith('application/octet-stream') && declared > limits.file) {
      throw payloadTooLarge(
        `the file is larger than this server accepts: at most ${sizeInWords(limits.file)} (KEYHOLD_MAX_FILE_SIZE)`,
      );
    }
  });
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
