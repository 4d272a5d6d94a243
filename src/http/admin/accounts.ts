import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { accountParams, createAccountBody } from './schemas.js';

export function accountRoutes(app: FastifyInstance, { accounts }: Services): void {
  app.post('/accounts', async (request, reply) => {
    const body = parseInput(createAccountBody, request.body, 'body');
    reply.status(201);
    return accounts.create(request.ctx, body.name);
  });
  app.get('/accounts', async (request) => accounts.list(request.ctx));
  app.delete('/accounts/:accountId', async (request, reply) => {
    const { accountId } = parseInput(accountParams, request.params, 'path');
    await accounts.delete(request.ctx, accountId);
    reply.status(204).send();
  });
}
