import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../crypto/ids.js';
import { notFound } from '../errors/app-error.js';
import type { Services } from '../services.js';
import { parseInput } from './validate.js';

const params = z.strictObject({
  accountId: z.string().regex(ID_PATTERN, 'must be a 26-character account id'),
});

/**
 * `GET /api/accounts/{accountId}/jwks.json`: the public keys that verify the account's Connect
 * tokens, for anyone who wants to check a token's signature themselves. Public by design: it
 * holds public keys only (a test checks no private member is ever present). Connect keys only:
 * the OAuth keys are published by the account's authorization server (`{issuer}/jwks.json`).
 */
export function jwksRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.get('/api/accounts/:accountId/jwks.json', async (request, reply) => {
      const { accountId } = parseInput(params, request.params, 'path');
      const jwks = await services.signingKeys.jwks(accountId, 'connect');
      if (jwks.keys.length === 0) throw notFound(`account ${accountId} has no signing keys`);
      reply.header('cache-control', 'public, max-age=300');
      return jwks;
    });
  };
}
