import { VERSION } from '../../version.js';
import { bytes, json } from './exchange.js';
import type { ConnectRoutes } from './routes.js';

/** Liveness (`/heartbeat`) and readiness (`/health`, `/v1/health`) probes: no token needed. */
export function probeRoutes(routes: ConnectRoutes): void {
  const heartbeat = Buffer.from('.');
  routes.get('/heartbeat', () => bytes(heartbeat, { 'content-type': 'text/plain; charset=utf-8' }));
  const health = () =>
    json({
      name: 'Keyhold Connect',
      version: VERSION,
      dependencies: [{ service: 'central', status: 'ACTIVE' }],
    });
  routes.get('/health', health);
  routes.get('/v1/health', health);
}
