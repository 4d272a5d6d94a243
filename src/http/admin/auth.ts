import type { FastifyRequest } from 'fastify';
import { adminTokenPrincipal } from '../../domain/access/principals.js';
import { authenticateAdminToken } from '../../domain/admin-tokens/admin-token-service.js';
import type { RequestContext } from '../../domain/context.js';
import { authenticateCliToken, isAccessTokenShape } from '../../domain/login/cli-sign-in.js';
import { unauthorized } from '../../errors/app-error.js';
import type { Stores } from '../../storage/ports.js';
import { bearerToken } from '../bearer.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin authentication hook before any admin route runs. */
    ctx: RequestContext;
  }
}

/**
 * Authenticates an admin API request: the bearer must be a live admin token (expired and revoked
 * ones answer 401 saying which), or the access token of a user signed in with `keyhold login`
 * (the request then acts as that user). Its account is the only account the request can see; the
 * account's operator flag and the caller's role are what `decide` weighs. Nothing is cached:
 * a revocation holds from the next request.
 */
export async function authenticateAdmin(
  stores: Pick<Stores, 'adminTokens' | 'oauthTokens' | 'users' | 'vaultAccess' | 'accounts'>,
  request: FastifyRequest,
): Promise<RequestContext> {
  const secret = bearerToken(request);
  if (!secret) throw unauthorized('Missing bearer token: send `Authorization: Bearer <admin token>`');
  if (isAccessTokenShape(secret)) {
    return authenticateCliToken(stores, secret, {
      requestId: request.id,
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    });
  }
  const token = await authenticateAdminToken(stores.adminTokens, secret);
  const account = await stores.accounts.get(token.accountId);
  if (!account) throw unauthorized('Invalid admin token');
  return {
    actor: {
      type: 'admin_token',
      id: token.id,
      accountId: token.accountId,
      tokenId: token.id,
    },
    principal: adminTokenPrincipal(token, account.operator),
    requestId: request.id,
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  };
}
