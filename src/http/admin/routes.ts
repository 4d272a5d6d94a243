import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { accountRoutes } from './accounts.js';
import { adminTokenRoutes } from './admin-tokens.js';
import { auditRoutes } from './audit.js';
import { authenticateAdmin } from './auth.js';
import { connectAdminRoutes } from './connect-admin.js';
import { fileRoutes } from './files.js';
import { itemRoutes } from './items.js';
import { oauthAdminRoutes } from './oauth-admin.js';
import { userRoutes } from './users.js';
import { vaultRoutes } from './vaults.js';

/** The admin API (`/api/admin/…`): every route needs an admin token; see docs/admin-api.md. */
export function adminRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.decorateRequest('ctx', undefined as never);
    app.addHook('preHandler', async (request) => {
      request.ctx = await authenticateAdmin(services.storage, request);
    });
    app.get('/whoami', async (request) => ({
      accountId: request.ctx.actor.accountId,
      tokenId: request.ctx.actor.tokenId,
      operator: request.ctx.actor.operator,
      role: 'role' in request.ctx.principal ? request.ctx.principal.role : undefined,
    }));
    accountRoutes(app, services);
    vaultRoutes(app, services);
    itemRoutes(app, services);
    fileRoutes(app, services);
    userRoutes(app, services);
    auditRoutes(app, services);
    connectAdminRoutes(app, services);
    oauthAdminRoutes(app, services);
    adminTokenRoutes(app, services);
  };
}
