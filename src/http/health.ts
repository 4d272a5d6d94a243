import type { FastifyInstance } from 'fastify';
import { VERSION } from '../version.js';

/** Liveness and readiness probes; they need no credentials and reveal no data. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/heartbeat', async (_request, reply) => reply.type('text/plain').send('.'));
  app.get('/health', async () => ({
    name: 'keyhold',
    version: VERSION,
    dependencies: [{ service: 'storage', status: 'ACTIVE' }],
  }));
}
