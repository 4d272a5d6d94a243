import type { FastifyInstance } from 'fastify';
import type { Storage } from '../storage/ports.js';
import { VERSION } from '../version.js';

/** How long readiness waits for the database before calling it unavailable. */
const STORAGE_TIMEOUT_MS = 2000;

/**
 * Liveness (`/heartbeat`: the process answers) and readiness (`/health`: it can reach its
 * database, so a load balancer sends it traffic) probes. They need no credentials and reveal no
 * data: an unreachable database is a 503 naming the dependency, never the error (it may name
 * hosts); the log has the error.
 */
export function healthRoutes(storage: Pick<Storage, 'ping'>) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/heartbeat', async (_request, reply) => reply.type('text/plain').send('.'));
    app.get('/health', async (request, reply) => {
      let status: 'ACTIVE' | 'UNAVAILABLE' = 'ACTIVE';
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          storage.ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('no answer in time')), STORAGE_TIMEOUT_MS);
          }),
        ]);
      } catch (err) {
        request.log.error({ err }, 'health: the database does not answer');
        status = 'UNAVAILABLE';
        reply.status(503);
      } finally {
        clearTimeout(timer);
      }
      return { name: 'keyhold', version: VERSION, dependencies: [{ service: 'storage', status }] };
    });
  };
}
