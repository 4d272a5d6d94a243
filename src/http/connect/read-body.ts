import type { IncomingMessage } from 'node:http';
import { badRequest, payloadTooLarge } from '../../errors/app-error.js';
import { parseStrictJson } from '../strict-json.js';
import { checkMediaType } from './media-types.js';
import type { BodyKind } from './routes.js';

/**
 * The body of a request to a route taking `kind`: undefined when none was sent (clients send
 * `Content-Type: application/json` with no body on GET and DELETE), parsed strict JSON, or the
 * raw bytes of an upload. Refuses a body of the wrong media type (415, media-types.ts) or over
 * its limit (413, before reading it when Content-Length already says so). A route that takes no
 * body ignores one.
 */
export async function readBody(
  request: IncomingMessage,
  kind: BodyKind,
  limits: { json: number; file: number },
): Promise<unknown> {
  const length = request.headers['content-length'];
  const chunked = request.headers['transfer-encoding'] !== undefined;
  if (kind === 'none' || (!chunked && (length === undefined || length === '0'))) return undefined;
  checkMediaType(kind, request.headers['content-type']);
  const limit = kind === 'bytes' ? limits.file : limits.json;
  if (length !== undefined && Number(length) > limit) throw tooLarge(limit);
  const content = await collect(request, limit);
  return kind === 'bytes' ? content : parseStrictJson(content);
}

const tooLarge = (limit: number) =>
  payloadTooLarge(`Request body is larger than the limit of ${limit} bytes`);

function collect(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the rest of the body is discarded once the error is answered.
        request.removeAllListeners('data');
        request.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks, size)));
    // A client that goes away mid-body: settle, so nothing waits on it forever.
    const cutOff = () => reject(badRequest('The request body was cut off'));
    request.on('error', cutOff);
    request.on('close', () => {
      if (!request.complete) cutOff();
    });
  });
}
