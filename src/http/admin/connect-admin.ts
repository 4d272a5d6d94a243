import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CONNECT_PERMISSIONS } from '../../domain/access/permissions.js';
import { displayName } from '../../domain/text.js';
import type { Services } from '../../services.js';
import { SIGNING_KEY_KINDS } from '../../storage/ports.js';
import {
  connectToken,
  createdConnectToken,
  server,
  serverWithCredentials,
  signingKey,
  signingKeys,
} from './responses/connect.js';
import { adminRoute } from './route.js';
import { id, tokenLifetime } from './schemas.js';

const serverParams = z.strictObject({ serverId: id });
const tokenParams = z.strictObject({ tokenId: id });
const createServerBody = z.strictObject({ name: displayName(200), vaults: z.array(id).max(1000) });
const updateServerBody = z.strictObject({
  addVaults: z.array(id).max(1000).default([]),
  removeVaults: z.array(id).max(1000).default([]),
});
/** New server credentials take no options: an empty body (or none). */
const newCredentialsBody = z.strictObject({});
const createTokenBody = z.strictObject({
  name: displayName(200),
  vaults: z
    .array(z.strictObject({ vaultId: id, permissions: z.array(z.enum(CONNECT_PERMISSIONS)).min(1).max(4) }))
    .min(1)
    .max(1000),
  /** Lifetime in seconds; absent = no expiry. At most ten years. */
  expiresIn: tokenLifetime.optional(),
});

/** Which kind of key to rotate; `connect` when the body or the kind is left out. */
const rotateKeyBody = z.strictObject({ kind: z.enum(SIGNING_KEY_KINDS).default('connect') });
/** Signing key ids are ids like every other (crypto/ids.ts). */
const keyParams = z.strictObject({ kid: id });

/** Connect servers, their tokens and the account's signing keys of both kinds (see docs/connect.md). */
export function connectAdminRoutes(
  app: FastifyInstance,
  { servers, tokens, signingKeyAdmin }: Services,
): void {
  const tag = 'Connect';
  adminRoute(app, {
    method: 'POST',
    path: '/servers',
    summary: 'Create a Connect server with its vaults (the credentials file is shown once)',
    tag,
    body: createServerBody,
    response: { status: 201, body: serverWithCredentials },
    handler: ({ ctx, body }) => servers.create(ctx, { name: body.name, vaultIds: body.vaults }),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/servers',
    summary: "The account's Connect servers",
    tag,
    response: { status: 200, body: z.array(server) },
    handler: ({ ctx }) => servers.list(ctx),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/servers/:serverId',
    summary: 'One Connect server',
    tag,
    params: serverParams,
    response: { status: 200, body: server },
    handler: ({ ctx, params }) => servers.get(ctx, params.serverId),
  });
  adminRoute(app, {
    method: 'PATCH',
    path: '/servers/:serverId',
    summary: "Add and remove a Connect server's vaults",
    tag,
    params: serverParams,
    body: updateServerBody,
    bodyOptional: true,
    response: { status: 200, body: server },
    handler: ({ ctx, params, body }) => servers.update(ctx, params.serverId, body),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/servers/:serverId',
    summary: 'Delete a Connect server: its tokens end, its nodes wipe their replicas',
    tag,
    params: serverParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => servers.delete(ctx, params.serverId),
  });
  // New credentials (secret and key pair): the old secret stops working at once.
  adminRoute(app, {
    method: 'POST',
    path: '/servers/:serverId/credentials',
    summary: 'New credentials for a Connect server (shown once); the old secret stops working',
    tag,
    params: serverParams,
    body: newCredentialsBody,
    bodyOptional: true,
    response: { status: 201, body: serverWithCredentials },
    handler: ({ ctx, params }) => servers.newCredentials(ctx, params.serverId),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/servers/:serverId/tokens',
    summary: 'Create a Connect token with per-vault permissions (shown once)',
    tag,
    params: serverParams,
    body: createTokenBody,
    response: { status: 201, body: createdConnectToken },
    handler: ({ ctx, params, body }) =>
      tokens.create(ctx, {
        name: body.name,
        serverId: params.serverId,
        grants: body.vaults,
        ...(body.expiresIn === undefined ? {} : { expiresInSeconds: body.expiresIn }),
      }),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/servers/:serverId/tokens',
    summary: "A Connect server's tokens, never the token itself",
    tag,
    params: serverParams,
    response: { status: 200, body: z.array(connectToken) },
    handler: ({ ctx, params }) => tokens.list(ctx, params.serverId),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/tokens/:tokenId',
    summary: 'Revoke a Connect token',
    tag,
    params: tokenParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => tokens.revoke(ctx, params.tokenId),
  });

  adminRoute(app, {
    method: 'GET',
    path: '/keys',
    summary: "The account's signing keys, both kinds, newest first",
    tag: 'Signing keys',
    response: { status: 200, body: signingKeys },
    handler: async ({ ctx }) => ({ keys: await signingKeyAdmin.list(ctx) }),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/keys/rotate',
    summary: 'A new current signing key of one kind',
    tag: 'Signing keys',
    body: rotateKeyBody,
    bodyOptional: true,
    response: { status: 201, body: signingKey },
    handler: ({ ctx, body }) => signingKeyAdmin.rotate(ctx, body.kind),
  });
  adminRoute(app, {
    method: 'POST',
    path: '/keys/:kid/withdraw',
    summary:
      'Withdraw a previous signing key for good: no token it signed verifies from then on (409 signing_key_current for the current key: rotate first)',
    tag: 'Signing keys',
    params: keyParams,
    response: { status: 200, body: signingKey },
    handler: ({ ctx, params }) => signingKeyAdmin.withdraw(ctx, params.kid),
  });
}
