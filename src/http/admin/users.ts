import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { createUserBody, grantBody, userParams, userQuery, userVaultParams } from './schemas.js';

export function userRoutes(app: FastifyInstance, { users }: Services): void {
  app.get('/users', async (request) => {
    const { email } = parseInput(userQuery, request.query, 'query');
    return email === undefined ? users.list(request.ctx) : [await users.findByEmail(request.ctx, email)];
  });
  app.post('/users', async (request, reply) => {
    const body = parseInput(createUserBody, request.body, 'body');
    reply.status(201);
    return users.create(request.ctx, {
      email: body.email,
      role: body.role,
      ...(body.password === undefined ? {} : { password: body.password }),
    });
  });
  app.get('/users/:userId', async (request) => {
    const { userId } = parseInput(userParams, request.params, 'path');
    return users.get(request.ctx, userId);
  });
  app.get('/users/:userId/vaults', async (request) => {
    const { userId } = parseInput(userParams, request.params, 'path');
    return users.vaultGrants(request.ctx, userId);
  });
  app.put('/users/:userId/vaults/:vaultId', async (request) => {
    const { userId, vaultId } = parseInput(userVaultParams, request.params, 'path');
    const { permissions } = parseInput(grantBody, request.body, 'body');
    return users.grantVault(request.ctx, userId, vaultId, permissions);
  });
}
