import type { FastifyInstance } from 'fastify';
import { pageFormat } from '../../../errors/page-format.js';
import type { Services } from '../../../services.js';
import { registerFormParser } from '../../body-parsers.js';
import { answerErrors } from '../../error-handler.js';
import { authorizeRoutes } from './authorize.js';
import { deviceRoutes } from './device.js';
import { endSessionRoutes } from './end-session.js';
import { grantRoutes } from './grants.js';
import { STYLESHEET, STYLESHEET_PATH } from './html.js';
import { loginRoutes } from './login.js';
import { mfaSettingsRoutes } from './mfa-settings.js';
import { passwordRoutes } from './password.js';
import { passwordResetRoutes } from './password-reset.js';
import { secondStepRoutes } from './second-step.js';

/** The pages people see: sign-in (and its second step), two-step settings, consent, grants, passwords and the device user-code page, with their security headers and errors. */
export function oauthPages(services: Services) {
  return async (app: FastifyInstance) => {
    registerFormParser(app, app.initialConfig.bodyLimit ?? 1024 * 1024);
    app.setErrorHandler(answerErrors(pageFormat));
    app.get(STYLESHEET_PATH, async (_request, reply) => {
      return reply
        .header('cache-control', 'public, max-age=3600')
        .type('text/css; charset=utf-8')
        .send(STYLESHEET);
    });
    authorizeRoutes(app, services);
    loginRoutes(app, services);
    secondStepRoutes(app, services);
    mfaSettingsRoutes(app, services);
    grantRoutes(app, services);
    passwordRoutes(app, services);
    passwordResetRoutes(app, services);
    deviceRoutes(app, services);
    endSessionRoutes(app, services);
  };
}
