import type { FastifyInstance, FastifyRequest } from 'fastify';
import { operatorAccountId } from '../../domain/accounts/operator-account.js';
import type { CallFacts } from '../../domain/oauth/context.js';
import { deviceAuthorization } from '../../domain/oauth/device-authorization.js';
import { type BearerFacts, queryGrant, revokeGrant } from '../../domain/oauth/grant-management.js';
import { introspect, introspectFor } from '../../domain/oauth/introspection.js';
import {
  INTROSPECTION_JWT_MEDIA_TYPE,
  signIntrospection,
  wantsSignedIntrospection,
} from '../../domain/oauth/introspection-jwt.js';
import { invalidRequest } from '../../domain/oauth/oauth-error.js';
import { pushAuthorizationRequest, requiresPushedRequests } from '../../domain/oauth/pushed-authorization.js';
import { revoke } from '../../domain/oauth/revocation.js';
import { tokenEndpoint } from '../../domain/oauth/token-endpoint.js';
import { oauthFormat } from '../../errors/oauth-format.js';
import type { Services } from '../../services.js';
import { bearerToken } from '../bearer.js';
import { registerFormParser } from '../body-parsers.js';
import { answerErrors } from '../error-handler.js';
import { accountIdParam, accountOf } from './account-param.js';
import { authorizationServerMetadata } from './metadata.js';
import { oidcRoutes } from './oidc-endpoints.js';

/**
 * The back-channel endpoints of each account's authorization server, answering in RFC 6749's
 * error shape. Every response is `no-store` (the base app sets it) and none allows CORS: a
 * browser page elsewhere cannot read them.
 */
export function oauthEndpoints(services: Services) {
  const { oauth } = services;
  return async (app: FastifyInstance) => {
    registerFormParser(app, app.initialConfig.bodyLimit ?? 1024 * 1024);
    // Body and routing problems (415, 413, bad UTF-8, unknown account) too, in OAuth's vocabulary.
    app.setErrorHandler(answerErrors(oauthFormat));

    // One metadata document, at RFC 8414's path here and at OpenID Connect Discovery's (oidcRoutes).
    const metadata = async (request: FastifyRequest) => {
      const accountId = await accountOf(services, request);
      return authorizationServerMetadata(oauth.issuer(accountId), await oauth.catalogs.get(accountId), {
        requirePushedRequests: await requiresPushedRequests(services.storage, accountId),
      });
    };
    app.get('/.well-known/oauth-authorization-server/oauth/:accountId', metadata);
    // OpenID Connect: discovery at its own paths, userinfo.
    oidcRoutes(app, services, metadata);
    // The authorization server's keys only (RFC 8725 §3.12): a resource server that validates
    // JWT access tokens with this set can never accept a Connect token.
    app.get('/oauth/:accountId/jwks.json', async (request, reply) => {
      const jwks = await services.signingKeys.jwks(await accountOf(services, request), 'oauth');
      reply.header('cache-control', 'public, max-age=300');
      return jwks;
    });
    app.post('/oauth/:accountId/token', async (request, reply) => {
      const accountId = accountIdParam(request);
      // RFC 9449 §8: a fresh nonce with every answer, error or not, for the client's next proof.
      reply.header('dpop-nonce', oauth.dpop.nonces.current(accountId));
      return tokenEndpoint(oauth, accountId, facts(request, `${oauth.issuer(accountId)}/token`));
    });
    // RFC 9126: 201 with the request_uri that /authorize then takes instead of the parameters.
    app.post('/oauth/:accountId/par', async (request, reply) => {
      const accountId = accountIdParam(request);
      // RFC 9449 §10.1: a pushed request may carry a DPoP proof, whose nonce is required as at /token.
      reply.header('dpop-nonce', oauth.dpop.nonces.current(accountId));
      const pushed = await pushAuthorizationRequest(
        oauth,
        accountId,
        facts(request, `${oauth.issuer(accountId)}/par`),
      );
      return reply.status(201).send(pushed);
    });
    app.post('/oauth/:accountId/device_authorization', async (request) => {
      const accountId = accountIdParam(request);
      return deviceAuthorization(
        oauth,
        accountId,
        facts(request, `${oauth.issuer(accountId)}/device_authorization`),
      );
    });
    // Where `keyhold login` signs in when told no account: the operator account's id and issuer.
    // Nothing else (no name, no count): an account id is not a secret, it is in every issuer URL.
    app.get('/.well-known/keyhold-cli', async () => {
      const accountId = await operatorAccountId(services.storage);
      return accountId === undefined ? {} : { accountId, issuer: oauth.issuer(accountId) };
    });
    app.post('/oauth/:accountId/introspect', async (request, reply) => {
      const accountId = accountIdParam(request);
      const call = facts(request, `${oauth.issuer(accountId)}/introspect`);
      if (!wantsSignedIntrospection(request.headers.accept)) {
        return introspect(oauth, services.resourceServers, accountId, call);
      }
      // RFC 9701: the same answer, signed for the caller. Errors stay RFC 6749 JSON.
      const { callerId, response } = await introspectFor(oauth, services.resourceServers, accountId, call);
      const jwt = await signIntrospection(oauth.keys, accountId, oauth.issuer(accountId), callerId, response);
      return reply.type(INTROSPECTION_JWT_MEDIA_TYPE).send(jwt);
    });
    // Grant management (grant-management.ts): a client, with an access token of the user's grant.
    app.get('/oauth/:accountId/grant-management/:grantId', async (request) =>
      queryGrant(oauth, accountIdParam(request), grantIdParam(request), bearerFacts(request)),
    );
    app.delete('/oauth/:accountId/grant-management/:grantId', async (request, reply) => {
      await revokeGrant(oauth, accountIdParam(request), grantIdParam(request), bearerFacts(request));
      return reply.status(204).send();
    });
    app.post('/oauth/:accountId/revoke', async (request, reply) => {
      const accountId = accountIdParam(request);
      await revoke(oauth, accountId, facts(request, `${oauth.issuer(accountId)}/revoke`));
      // RFC 7009 §2.2 says only 200; an empty JSON object rather than no body, because clients
      // that parse every answer as JSON (a popular one among them) fail on an empty one and leave
      // the token unrevoked on their side.
      return reply.status(200).send({});
    });
  };
}

const grantIdParam = (request: FastifyRequest) => (request.params as { grantId: string }).grantId;

/** The bearer token and request facts of a call to an endpoint that takes an access token. */
const bearerFacts = (request: FastifyRequest): BearerFacts => ({
  token: bearerToken(request),
  requestId: request.id,
  ip: request.ip,
  userAgent: request.headers['user-agent'] ?? null,
});

/** The form and request facts of a back-channel call; the body must be a form. */
function facts(request: FastifyRequest, endpointUrl: string): CallFacts {
  if (!(request.body instanceof URLSearchParams)) {
    throw invalidRequest('send the parameters as application/x-www-form-urlencoded');
  }
  return {
    form: request.body,
    authorization: request.headers.authorization,
    requestId: request.id,
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
    endpointUrl,
    dpop: request.headers.dpop as string | undefined,
  };
}
