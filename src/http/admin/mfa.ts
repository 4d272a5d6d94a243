import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { userParams } from './schemas.js';

/** `PUT /account/policy`: the account's sign-in policy; strict, so a misspelt field is refused. */
const accountPolicyBody = z.strictObject({ requireMfa: z.boolean() });

/** A user's second factor (status, reset) and the account policy that can require one. */
export function mfaAdminRoutes(app: FastifyInstance, { mfa }: Services): void {
  app.get('/users/:userId/mfa', async (request) => {
    const { userId } = parseInput(userParams, request.params, 'path');
    return mfa.adminStatus(request.ctx, userId);
  });
  app.delete('/users/:userId/mfa', async (request) => {
    const { userId } = parseInput(userParams, request.params, 'path');
    return mfa.reset(request.ctx, userId);
  });
  app.get('/account/policy', async (request) => mfa.policy(request.ctx));
  app.put('/account/policy', async (request) => {
    const body = parseInput(accountPolicyBody, request.body, 'body');
    return mfa.setPolicy(request.ctx, body);
  });
}
