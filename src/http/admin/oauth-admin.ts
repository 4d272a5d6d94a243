import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_REDIRECT_URI_LENGTH } from '../../domain/oauth/redirect-uris.js';
import { MAX_SCOPE_NAME_LENGTH } from '../../domain/oauth/scope-names.js';
import { MAX_ACCESS_TOKEN_TTL } from '../../domain/oauth/token-issuer.js';
import { displayName } from '../../domain/text.js';
import type { Services } from '../../services.js';
import { ACCESS_TOKEN_FORMATS, CLIENT_AUTH_METHODS, GRANT_TYPES } from '../../storage/ports.js';
import {
  catalogCheck,
  connectedApplication,
  createdOAuthClient,
  createdResourceServer,
  oauthClient,
  oauthGrant,
  resourceServer,
  rotatedOAuthClient,
} from './responses/oauth.js';
import { adminRoute } from './route.js';
import { id } from './schemas.js';

/** `kc-` + a 26-character id: never the shape of a user id (RFC 9700 check 18). */
const clientId = z
  .string()
  .regex(/^kc-[a-z0-9]{26}$/, 'must be a client id: `kc-` and 26 characters of a-z and 0-9');

/** Longest resource identifier (an RFC 8707 resource indicator URI). */
const MAX_IDENTIFIER_LENGTH = 2048;
/** Longest JWK Set accepted, as JSON text: ten RSA-4096 public keys fit with room to spare. */
const MAX_JWKS_LENGTH = 64 * 1024;
/** A requested scope may fill a dynamic `*` with up to 100 characters. */
const MAX_CLIENT_SCOPE_LENGTH = 2 * MAX_SCOPE_NAME_LENGTH;

const resourceServerParams = z.strictObject({ id });
const clientParams = z.strictObject({ clientId });
const grantParams = z.strictObject({ id });
const grantQuery = z.strictObject({ userId: id.optional() });

const createResourceServerBody = z.strictObject({
  identifier: z.string().min(1).max(MAX_IDENTIFIER_LENGTH),
  /** Shown on the consent page; defaults to the identifier. */
  name: displayName(200).optional(),
  // Names are checked by the service (parseScopeName), which says what is allowed.
  scopes: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(MAX_SCOPE_NAME_LENGTH),
        description: displayName(300),
        exclusive: z.boolean().default(false),
      }),
    )
    .max(200),
  tokenFormat: z.enum(ACCESS_TOKEN_FORMATS).default('opaque'),
  accessTokenTtl: z.number().int().min(60).max(MAX_ACCESS_TOKEN_TTL).default(3600),
});

const createClientBody = z.strictObject({
  name: displayName(200),
  // Checked one by one by the service (validateRedirectUri), which names the rule broken.
  redirectUris: z.array(z.string().min(1).max(MAX_REDIRECT_URI_LENGTH)).max(20),
  scopes: z.array(z.string().min(1).max(MAX_CLIENT_SCOPE_LENGTH)).max(100),
  grantTypes: z
    .array(z.enum(GRANT_TYPES))
    .min(1)
    .max(GRANT_TYPES.length * 2)
    .optional(),
  authMethod: z.enum(CLIENT_AUTH_METHODS).optional(),
  public: z.boolean().default(false),
  /** The public JWK Set of a private_key_jwt client; the service refuses private keys. */
  jwks: z
    .record(z.string(), z.unknown())
    .refine(
      (v) => JSON.stringify(v).length <= MAX_JWKS_LENGTH,
      `must be at most ${MAX_JWKS_LENGTH} bytes of JSON`,
    )
    .optional(),
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`: every token request must carry a DPoP proof. */
  dpopBoundAccessTokens: z.boolean().default(false),
  /** RFC 9126 §6 `require_pushed_authorization_requests`: authorization requests through PAR only. */
  requirePushedAuthorizationRequests: z.boolean().default(false),
  /** The FAPI 2.0 Security Profile: PAR, DPoP, private_key_jwt (domain/oauth/client-profile.ts). */
  fapi2SecurityProfile: z.boolean().default(false),
});

/** What PATCH /clients/{id} may change; absent fields stay (client-service.ts ClientChange). */
const updateClientBody = createClientBody
  .pick({
    name: true,
    redirectUris: true,
    scopes: true,
    grantTypes: true,
    jwks: true,
  })
  .partial()
  .extend({
    dpopBoundAccessTokens: z.boolean().optional(),
    requirePushedAuthorizationRequests: z.boolean().optional(),
    fapi2SecurityProfile: z.boolean().optional(),
  })
  .refine((change) => Object.keys(change).length > 0, {
    message:
      'give at least one setting to change: name, redirectUris, scopes, grantTypes, jwks, dpopBoundAccessTokens, requirePushedAuthorizationRequests or fapi2SecurityProfile',
  });

/**
 * The OAuth authorization server's registry: resource servers and their scopes, clients, the
 * catalog lint (`keyhold scopes check`) and users' grants (see docs/admin-api.md).
 */
export function oauthAdminRoutes(
  app: FastifyInstance,
  { resourceServers, clients, grants, catalogCheck: check, connectedApps }: Services,
): void {
  const tag = 'OAuth';
  adminRoute(app, {
    method: 'POST',
    path: '/resource-servers',
    summary: 'Register a resource server and its scopes (its introspection secret is shown once)',
    tag,
    body: createResourceServerBody,
    response: { status: 201, body: createdResourceServer },
    handler: ({ ctx, body }) => resourceServers.create(ctx, { ...body, name: body.name ?? body.identifier }),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/resource-servers',
    summary: 'The resource servers, the built-in vault API first',
    tag,
    response: { status: 200, body: z.array(resourceServer) },
    handler: ({ ctx }) => resourceServers.list(ctx),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/resource-servers/:id',
    summary: 'Delete a resource server and its scopes',
    tag,
    params: resourceServerParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => resourceServers.delete(ctx, params.id),
  });

  adminRoute(app, {
    method: 'POST',
    path: '/clients',
    summary: 'Register an OAuth client (a secret, when it has one, is shown once)',
    tag,
    body: createClientBody,
    response: { status: 201, body: createdOAuthClient },
    handler: ({ ctx, body: { jwks, grantTypes, authMethod, ...body } }) =>
      clients.create(ctx, {
        ...body,
        ...(grantTypes === undefined ? {} : { grantTypes }),
        ...(authMethod === undefined ? {} : { authMethod }),
        ...(jwks === undefined ? {} : { jwks: JSON.stringify(jwks) }),
      }),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/clients',
    summary: 'The OAuth clients, never a secret',
    tag,
    response: { status: 200, body: z.array(oauthClient) },
    handler: ({ ctx }) => clients.list(ctx),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/clients/:clientId',
    summary: 'One OAuth client',
    tag,
    params: clientParams,
    response: { status: 200, body: oauthClient },
    handler: ({ ctx, params }) => clients.get(ctx, params.clientId),
  });
  adminRoute(app, {
    method: 'PATCH',
    path: '/clients/:clientId',
    summary: "Change an OAuth client's settings; scopes it loses leave its users' grants and tokens at once",
    tag,
    params: clientParams,
    body: updateClientBody,
    response: { status: 200, body: oauthClient },
    handler: ({ ctx, params, body: { jwks, ...change } }) =>
      clients.update(ctx, params.clientId, {
        ...change,
        ...(jwks === undefined ? {} : { jwks: JSON.stringify(jwks) }),
      }),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/clients/:clientId/secret',
    summary: 'Give a confidential client a new secret, shown once (the old one stops working at once)',
    tag,
    params: clientParams,
    response: { status: 200, body: rotatedOAuthClient },
    handler: ({ ctx, params }) => clients.rotateSecret(ctx, params.clientId),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/clients/:clientId',
    summary: "Delete an OAuth client with its users' grants, codes and tokens",
    tag,
    params: clientParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => clients.delete(ctx, params.clientId),
  });

  adminRoute(app, {
    method: 'GET',
    path: '/scopes/check',
    summary: 'Lint the scope catalog, resource servers and clients against each other',
    tag,
    response: { status: 200, body: catalogCheck },
    handler: ({ ctx }) => check(ctx),
  });

  adminRoute(app, {
    method: 'GET',
    path: '/grants',
    summary: "The account's grants (or one user's), oldest first",
    tag,
    query: grantQuery,
    response: { status: 200, body: z.array(oauthGrant) },
    handler: ({ ctx, query }) => grants.list(ctx, query.userId === undefined ? {} : { userId: query.userId }),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/grants/mine',
    summary: "The caller's own grants in words: connected applications (a signed-in person only)",
    description:
      'What each application can reach (vault names, read or write), when it was granted and when it last ' +
      'got a token. Any signed-in person may list their own; an admin token has none (403).',
    tag,
    response: { status: 200, body: z.array(connectedApplication) },
    handler: ({ ctx }) => connectedApps(ctx),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/grants/:id',
    summary: 'Revoke a grant with its codes and tokens',
    tag,
    params: grantParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => grants.revoke(ctx, params.id),
  });
}
