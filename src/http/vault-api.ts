import type { FastifyInstance } from 'fastify';
import type { ConnectCall } from '../connect-server/central/central-client.js';
import { vaultOperations } from '../connect-server/central/vault-operations.js';
import { tokenActivity } from '../domain/audit/activity.js';
import { verifyVaultApiToken } from '../domain/oauth/access-token-verifier.js';
import { DPOP_ALGS } from '../domain/oauth/dpop-proof.js';
import { isDPoPChallenge, type TokenPresentation } from '../domain/oauth/dpop-resource.js';
import type { Services } from '../services.js';
import { registerJsonPatchParser } from './body-parsers.js';
import type { ConnectRouteContext } from './connect/app.js';
import { mountConnectRoutes } from './connect/fastify-adapter.js';
import { fileRoutes } from './connect/files.js';
import { itemRoutes } from './connect/items.js';
import { ConnectRoutes } from './connect/routes.js';
import { vaultRoutes } from './connect/vaults.js';

const ALGS = DPOP_ALGS.join(' ');
/** RFC 6750 §3 and RFC 9449 §7.1: both schemes are accepted, so a refusal offers both. */
const BOTH_CHALLENGES = `Bearer realm="keyhold", error="invalid_token", DPoP algs="${ALGS}"`;

/**
 * The user vault API, `/api/v1/…`: the Connect routes and shapes, answering to OAuth access
 * tokens issued for the built-in resource server. A token acts for its user, limited by its
 * granted scopes and by what the user may do now, through the same `decide()` as Connect.
 * Bearer tokens come as `Authorization: Bearer`; DPoP-bound ones as `Authorization: DPoP` with a
 * proof, whose URL is the public URL's (what the client addressed, whatever proxy is between).
 */
export function vaultApi(services: Services, limits: ConnectRouteContext['limits']) {
  const presentation = (call: ConnectCall): TokenPresentation => ({
    scheme: call.presented?.scheme ?? 'Bearer',
    proof: call.presented?.proof,
    method: call.presented?.method ?? 'GET',
    url: `${services.publicUrl()}${call.presented?.path ?? '/'}`,
  });
  const operations = vaultOperations(
    services,
    (call) =>
      verifyVaultApiToken(
        services.storage,
        services.signingKeys,
        services.oauth.dpop,
        call.token,
        { requestId: call.requestId, ip: call.ip, userAgent: call.userAgent },
        presentation(call),
      ),
    (ctx, page) => tokenActivity(services.storage, ctx, page),
  );
  const context: ConnectRouteContext = { central: operations, limits };
  const routes = new ConnectRoutes();
  vaultRoutes(routes, context);
  itemRoutes(routes, context);
  fileRoutes(routes, context);
  return async (app: FastifyInstance) => {
    // A refusal about DPoP says so in a DPoP challenge (RFC 9449 §7.1), with what to fix.
    app.addHook('onError', async (_request, reply, error) => {
      if (isDPoPChallenge(error)) {
        reply.header(
          'www-authenticate',
          `DPoP error="${error.challenge}", error_description="${quotable(error.message)}", algs="${ALGS}"`,
        );
      }
    });
    app.addHook('onSend', async (_request, reply) => {
      if (reply.statusCode === 401 && !reply.hasHeader('www-authenticate'))
        reply.header('www-authenticate', BOTH_CHALLENGES);
    });
    registerJsonPatchParser(app, limits.json);
    mountConnectRoutes(app, routes);
  };
}

/** A message as a quoted-string's content: our own words, with `"` and `\` kept out. */
const quotable = (message: string): string =>
  message
    .replace(/’/g, "'")
    .replace(/["\\]/g, "'")
    .replace(/[^\x20-\x7e]/g, '');
