import type { FastifyReply, FastifyRequest } from 'fastify';
import { noRoute } from '../errors/app-error.js';
import { failure } from '../errors/failure.js';
import type { Formatter, WireError } from '../errors/wire.js';

/**
 * The Fastify end of the error family: each plugin answers in its wire family with one line,
 * `app.setErrorHandler(answerErrors(adminFormat))`. Formatting is in `src/errors/`.
 */
export const answerErrors =
  (format: Formatter) =>
  (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    send(
      reply,
      failure(error, format, (fields) => request.log.error(fields, 'request failed')),
    );

/** An unknown route, in a wire family: `app.setNotFoundHandler(answerNotFound(adminFormat))`. */
export const answerNotFound =
  (format: Formatter) =>
  (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    send(reply, format(noRoute(request.method, request.url)));

function send(reply: FastifyReply, wire: WireError): FastifyReply {
  reply.status(wire.status);
  if (wire.headers) reply.headers(wire.headers);
  return reply.send(wire.body);
}
