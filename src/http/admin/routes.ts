import type { FastifyInstance } from 'fastify';
import { whoami } from '../../domain/accounts/whoami.js';
import type { Services } from '../../services.js';
import { accountRoutes } from './accounts.js';
import { adminTokenRoutes } from './admin-tokens.js';
import { auditRoutes } from './audit.js';
import { authenticateAdmin } from './auth.js';
import { connectAdminRoutes } from './connect-admin.js';
import { consoleSession, consoleSessionRoutes, hasConsoleCookie } from './console-session.js';
import { fileRoutes } from './files.js';
import { itemRoutes } from './items.js';
import { mfaAdminRoutes } from './mfa.js';
import { oauthAdminRoutes } from './oauth-admin.js';
import { describeAdminApi } from './openapi.js';
import { whoAmI } from './responses/people.js';
import { adminRoute } from './route.js';
import { userRoutes } from './users.js';
import { vaultRoutes } from './vaults.js';

/**
 * The admin API (`/api/admin/…`): every route needs an admin token, a CLI sign-in or a console
 * session (console-session.ts), except its description (`/openapi.json`); see docs/admin-api.md.
 * Routes are registered with `adminRoute`, which puts each in that description.
 */
export function adminRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.decorateRequest('ctx', undefined as never);
    describeAdminApi(app);
    // The console's sign-in and own session (console-session.ts), described with the rest; their
    // routes say `auth` other than `admin`, so the hook below lets them by.
    app.register(consoleSessionRoutes(services), { prefix: '/session' });
    app.addHook('preHandler', async (request) => {
      // The description and the console's session routes authenticate (or not) by themselves.
      if ((request.routeOptions.config.adminApi?.auth ?? 'admin') !== 'admin') return;
      // A bearer token wins over the console cookie: a request with an Authorization header is
      // authenticated by it alone (a browser never adds one cross-site without CORS, which this
      // API does not grant), and no CSRF check applies to it.
      request.ctx =
        request.headers.authorization === undefined && hasConsoleCookie(request)
          ? (await consoleSession(services, request)).ctx
          : await authenticateAdmin(services.storage, request);
    });
    adminRoute(app, {
      method: 'GET',
      path: '/whoami',
      summary: 'Who the caller is: its account, token or user, and role',
      tag: 'Identity',
      response: { status: 200, body: whoAmI },
      handler: ({ ctx }) => whoami(services.storage, ctx),
    });
    accountRoutes(app, services);
    vaultRoutes(app, services);
    itemRoutes(app, services);
    fileRoutes(app, services);
    userRoutes(app, services);
    mfaAdminRoutes(app, services);
    auditRoutes(app, services);
    connectAdminRoutes(app, services);
    oauthAdminRoutes(app, services);
    adminTokenRoutes(app, services);
  };
}
