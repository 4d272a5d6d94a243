import type { FastifyInstance } from 'fastify';
import { vaultOperations } from '../connect-server/central/vault-operations.js';
import { tokenActivity } from '../domain/audit/activity.js';
import { verifyVaultApiToken } from '../domain/oauth/access-token-verifier.js';
import type { Services } from '../services.js';
import { registerJsonPatchParser } from './body-parsers.js';
import type { ConnectRouteContext } from './connect/app.js';
import { mountConnectRoutes } from './connect/fastify-adapter.js';
import { fileRoutes } from './connect/files.js';
import { itemRoutes } from './connect/items.js';
import { ConnectRoutes } from './connect/routes.js';
import { vaultRoutes } from './connect/vaults.js';

/**
 * The user vault API, `/api/v1/…`: the Connect routes and shapes, answering to OAuth access
 * tokens issued for the built-in resource server. A token acts for its user, limited by its
 * granted scopes and by what the user may do now, through the same `decide()` as Connect.
 */
export function vaultApi(services: Services, limits: ConnectRouteContext['limits']) {
  const operations = vaultOperations(
    services,
    (call) => verifyVaultApiToken(services.storage, services.signingKeys, call.token, call),
    (ctx, page) => tokenActivity(services.storage, ctx, page),
  );
  const context: ConnectRouteContext = { central: operations, limits };
  const routes = new ConnectRoutes();
  vaultRoutes(routes, context);
  itemRoutes(routes, context);
  fileRoutes(routes, context);
  return async (app: FastifyInstance) => {
    // RFC 6750 §3: a refused bearer token says so in WWW-Authenticate.
    app.addHook('onSend', async (_request, reply) => {
      if (reply.statusCode === 401)
        reply.header('www-authenticate', 'Bearer realm="keyhold", error="invalid_token"');
    });
    registerJsonPatchParser(app, limits.json);
    mountConnectRoutes(app, routes);
  };
}
