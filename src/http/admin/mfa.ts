import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { accountPolicy, mfaReset, mfaStatus } from './responses/people.js';
import { adminRoute } from './route.js';
import { userParams } from './schemas.js';

/**
 * `PUT /account/policy`: the account's sign-in policy; strict, so a misspelt field is refused.
 * A setting left out keeps its value.
 */
const accountPolicyBody = z
  .strictObject({
    requireMfa: z.boolean().optional(),
    requirePushedAuthorizationRequests: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: 'give requireMfa, requirePushedAuthorizationRequests or both',
  });

/** A user's second factor (status, reset) and the account policy that can require one. */
export function mfaAdminRoutes(app: FastifyInstance, { mfa }: Services): void {
  const tag = 'MFA';
  adminRoute(app, {
    method: 'GET',
    path: '/users/:userId/mfa',
    summary: 'Whether a user has a second factor, and how many recovery codes are left',
    tag,
    params: userParams,
    response: { status: 200, body: mfaStatus },
    handler: ({ ctx, params }) => mfa.adminStatus(ctx, params.userId),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/users/:userId/mfa',
    summary: "Remove a user's second factor and recovery codes",
    tag,
    params: userParams,
    response: { status: 200, body: mfaReset },
    handler: ({ ctx, params }) => mfa.reset(ctx, params.userId),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/account/policy',
    summary: "The account's sign-in policy",
    tag,
    response: { status: 200, body: accountPolicy },
    handler: ({ ctx }) => mfa.policy(ctx),
  });
  adminRoute(app, {
    method: 'PUT',
    path: '/account/policy',
    summary:
      "Set the account's sign-in policy (whether a second factor is required, whether authorization requests must be pushed)",
    tag,
    body: accountPolicyBody,
    response: { status: 200, body: accountPolicy },
    handler: ({ ctx, body }) => mfa.setPolicy(ctx, body),
  });
}
