import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { createUserBody, grantBody, setRoleBody, userParams, userQuery, userVaultParams } from './schemas.js';

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
  app.delete('/users/:userId', async (request, reply) => {
    const { userId } = parseInput(userParams, request.params, 'path');
    await users.delete(request.ctx, userId);
    return reply.status(204).send();
  });
  app.put('/users/:userId/role', async (request) => {
    const { userId } = parseInput(userParams, request.params, 'path');
    const { role } = parseInput(setRoleBody, request.body, 'body');
    return users.setRole(request.ctx, userId, role);
  });
  app.post('/users/:userId/disable', async (request) => {
    const { userId } = parseInput(userParams, request.params, 'path');
    return users.disable(request.ctx, userId);
  });
  app.post('/users/:userId/enable', async (request) => {
    const { userId } = parseInput(userParams, request.params, 'path');
    return users.enable(request.ctx, userId);
  });
  app.post('/users/:userId/password-reset', async (request, reply) => {
    const { userId } = parseInput(userParams, request.params, 'path');
    reply.status(201);
    return users.resetPassword(request.ctx, userId);
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
  app.delete('/users/:userId/vaults/:vaultId', async (request, reply) => {
    const { userId, vaultId } = parseInput(userVaultParams, request.params, 'path');
    await users.revokeVault(request.ctx, userId, vaultId);
    return reply.status(204).send();
  });
}
