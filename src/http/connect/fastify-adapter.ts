import type { FastifyInstance, FastifyRequest } from 'fastify';
import { connectFormat } from '../../errors/connect-format.js';
import { answerErrors } from '../error-handler.js';
import { presentedToken } from '../presented-token.js';
import type { ConnectReply, ConnectRequest } from './exchange.js';
import { checkMediaType } from './media-types.js';
import type { ConnectRoutes } from './routes.js';

/**
 * Serves Connect routes from a Fastify app (the user vault API, `/api/v1/…`, lives on the
 * central service's Fastify server), with Connect's `{status, message}` error shape: the same
 * route code, the same answers as on a Connect listener. A path that matches no route is the
 * app's: `{status, code, message}`, like every unknown route of the central service. A call
 * carries the token as presented, Bearer or DPoP (the vault API honours both, RFC 9449 §7).
 */
export function mountConnectRoutes(app: FastifyInstance, routes: ConnectRoutes): void {
  app.setErrorHandler(answerErrors(connectFormat));
  for (const route of routes.definitions) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        // Fastify has parsed whichever body type came; a JSON route takes only its JSON types.
        if ((route.body === 'json' || route.body === 'json-patch') && request.body !== undefined)
          checkMediaType(route.body, request.headers['content-type']);
        const answer: ConnectReply = await route.handler(connectRequest(request));
        reply.status(answer.status);
        if (answer.kind === 'empty') return reply.send();
        if (answer.headers) reply.headers(answer.headers);
        return reply.send(answer.kind === 'json' ? answer.value : answer.content);
      },
    });
  }
}

const connectRequest = (request: FastifyRequest): ConnectRequest => ({
  id: request.id,
  method: request.method,
  url: request.url,
  headers: request.headers,
  params: request.params as Record<string, string>,
  query: request.query as Record<string, string | string[]>,
  body: request.body,
  ip: request.ip,
  presented: presentedToken(request),
});
