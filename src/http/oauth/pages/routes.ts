import type { FastifyInstance } from 'fastify';
import { toAppError } from '../../../errors/format.js';
import type { Services } from '../../../services.js';
import { registerFormParser } from '../../body-parsers.js';
import { authorizeRoutes } from './authorize.js';
import { grantRoutes } from './grants.js';
import { STYLESHEET, STYLESHEET_PATH } from './html.js';
import { loginRoutes } from './login.js';
import { sendPage } from './security-headers.js';
import { errorPage } from './views.js';

/** The pages people see: sign-in, consent and grants, with their security headers and errors. */
export function oauthPages(services: Services) {
  return async (app: FastifyInstance) => {
    registerFormParser(app, app.initialConfig.bodyLimit ?? 1024 * 1024);
    app.setErrorHandler((error, request, reply) => {
      const appError = toAppError(error);
      if (appError.status >= 500) {
        request.log.error({ code: appError.code, err: appError.cause ?? error }, 'request failed');
      }
      const message =
        appError.status >= 500 ? 'Something went wrong on our side. Try again later.' : appError.message;
      return sendPage(
        reply,
        appError.status,
        errorPage(appError.status === 404 ? 'Not found' : 'Request refused', message),
      );
    });
    app.get(STYLESHEET_PATH, async (_request, reply) => {
      return reply
        .header('cache-control', 'public, max-age=3600')
        .type('text/css; charset=utf-8')
        .send(STYLESHEET);
    });
    authorizeRoutes(app, services);
    loginRoutes(app, services);
    grantRoutes(app, services);
  };
}
