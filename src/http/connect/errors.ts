import type { FastifyError, FastifyInstance } from 'fastify';
import { toAppError } from '../../errors/format.js';

/**
 * Connect clients expect every error as `{status, message}` (the official SDKs reject with that
 * body as is), so the Connect face formats the same AppErrors in that shape.
 */
export function connectErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500)
      request.log.error({ code: appError.code, err: appError.cause ?? error }, 'request failed');
    reply.status(appError.status).send({
      status: appError.status,
      message: appError.expose ? appError.message : 'Internal server error',
    });
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send({ status: 404, message: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });
}
