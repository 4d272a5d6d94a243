import type { FastifyInstance } from 'fastify';
import { VERSION } from '../../version.js';

/** Liveness (`/heartbeat`) and readiness (`/health`, `/v1/health`) probes: no token needed. */
export function probeRoutes(app: FastifyInstance): void {
  app.get('/heartbeat', async (_request, reply) => reply.type('text/plain').send('.'));
  const health = async () => ({
    name: 'Keyhold Connect',
    version: VERSION,
    dependencies: [{ service: 'central', status: 'ACTIVE' }],
  });
  app.get('/health', health);
  app.get('/v1/health', health);
}
