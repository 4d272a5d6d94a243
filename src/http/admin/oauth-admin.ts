import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_REDIRECT_URI_LENGTH } from '../../domain/oauth/redirect-uris.js';
import { MAX_SCOPE_NAME_LENGTH } from '../../domain/oauth/scope-names.js';
import { MAX_ACCESS_TOKEN_TTL } from '../../domain/oauth/token-issuer.js';
import { displayName } from '../../domain/text.js';
import type { Services } from '../../services.js';
import { ACCESS_TOKEN_FORMATS, CLIENT_AUTH_METHODS, GRANT_TYPES } from '../../storage/ports.js';
import { parseInput } from '../validate.js';
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
});

/**
 * The OAuth authorization server's registry: resource servers and their scopes, clients, the
 * catalog lint (`keyhold scopes check`) and users' grants (see docs/admin-api.md).
 */
export function oauthAdminRoutes(
  app: FastifyInstance,
  { resourceServers, clients, grants, catalogCheck }: Services,
): void {
  app.post('/resource-servers', async (request, reply) => {
    const body = parseInput(createResourceServerBody, request.body, 'body');
    const created = await resourceServers.create(request.ctx, {
      ...body,
      name: body.name ?? body.identifier,
    });
    reply.status(201);
    return created;
  });
  app.get('/resource-servers', async (request) => resourceServers.list(request.ctx));
  app.delete('/resource-servers/:id', async (request, reply) => {
    const params = parseInput(resourceServerParams, request.params, 'path');
    await resourceServers.delete(request.ctx, params.id);
    reply.status(204).send();
  });

  app.post('/clients', async (request, reply) => {
    const { jwks, grantTypes, authMethod, ...body } = parseInput(createClientBody, request.body, 'body');
    const created = await clients.create(request.ctx, {
      ...body,
      ...(grantTypes === undefined ? {} : { grantTypes }),
      ...(authMethod === undefined ? {} : { authMethod }),
      ...(jwks === undefined ? {} : { jwks: JSON.stringify(jwks) }),
    });
    reply.status(201);
    return created;
  });
  app.get('/clients', async (request) => clients.list(request.ctx));
  app.get('/clients/:clientId', async (request) => {
    const params = parseInput(clientParams, request.params, 'path');
    return clients.get(request.ctx, params.clientId);
  });
  app.delete('/clients/:clientId', async (request, reply) => {
    const params = parseInput(clientParams, request.params, 'path');
    await clients.delete(request.ctx, params.clientId);
    reply.status(204).send();
  });

  app.get('/scopes/check', async (request) => catalogCheck(request.ctx));

  app.get('/grants', async (request) => {
    const query = parseInput(grantQuery, request.query, 'query');
    return grants.list(request.ctx, query.userId === undefined ? {} : { userId: query.userId });
  });
  app.delete('/grants/:id', async (request, reply) => {
    const params = parseInput(grantParams, request.params, 'path');
    await grants.revoke(request.ctx, params.id);
    reply.status(204).send();
  });
}
