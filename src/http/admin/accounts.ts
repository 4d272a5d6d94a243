import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { account, createdAccount } from './responses/people.js';
import { adminRoute } from './route.js';
import { accountParams, createAccountBody } from './schemas.js';

export function accountRoutes(app: FastifyInstance, { accounts }: Services): void {
  const tag = 'Accounts';
  adminRoute(app, {
    method: 'POST',
    path: '/accounts',
    summary: 'Create an account, with its first owner token (shown once)',
    tag,
    body: createAccountBody,
    response: { status: 201, body: createdAccount },
    handler: ({ ctx, body }) => accounts.create(ctx, body.name),
  });
  adminRoute(app, {
    method: 'GET',
    path: '/accounts',
    summary: 'Every account (owners of the operator account)',
    tag,
    response: { status: 200, body: z.array(account) },
    handler: ({ ctx }) => accounts.list(ctx),
  });
  adminRoute(app, {
    method: 'DELETE',
    path: '/accounts/:accountId',
    summary: 'Delete an account with everything in it but its audit trail',
    tag,
    params: accountParams,
    response: { status: 204 },
    handler: ({ ctx, params }) => accounts.delete(ctx, params.accountId),
  });
}
