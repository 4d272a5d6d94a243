import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken, userinfo } from '../../domain/oauth/userinfo.js';
import { bearerFormat } from '../../errors/bearer-format.js';
import type { Services } from '../../services.js';
import { answerErrors } from '../error-handler.js';
import { accountOf } from './account-param.js';

/**
 * OpenID Connect's back-channel routes beside the OAuth ones: discovery and userinfo.
 *
 * Discovery answers the one metadata document at both places a client may look for it: OpenID
 * Connect Discovery §4 appends `/.well-known/openid-configuration` to the issuer
 * (`/oauth/{id}/.well-known/openid-configuration`), RFC 8414 §5 inserts it after the host
 * (`/.well-known/openid-configuration/oauth/{id}`), as the OAuth metadata route does.
 */
export function oidcRoutes(
  app: FastifyInstance,
  services: Services,
  metadata: (request: FastifyRequest) => Promise<unknown>,
): void {
  app.get('/oauth/:accountId/.well-known/openid-configuration', metadata);
  app.get('/.well-known/openid-configuration/oauth/:accountId', metadata);
  app.register(userinfoEndpoint(services));
}

/**
 * `GET|POST {issuer}/userinfo` (Core §5.3): a protected resource, so its refusals are RFC 6750's,
 * with `WWW-Authenticate: Bearer`. The token comes in the `Authorization` header only (the one
 * way RFC 6750 §2 requires every resource server to accept; a token in a query string ends up in
 * logs). No CORS, like every endpoint of the server.
 */
function userinfoEndpoint(services: Services) {
  return async (app: FastifyInstance) => {
    app.setErrorHandler(answerErrors(bearerFormat));
    const answer = async (request: FastifyRequest) => {
      const accountId = await accountOf(services, request);
      return userinfo(
        services.storage,
        services.signingKeys,
        accountId,
        bearerToken(request.headers.authorization),
      );
    };
    app.get('/oauth/:accountId/userinfo', answer);
    app.post('/oauth/:accountId/userinfo', answer);
  };
}
