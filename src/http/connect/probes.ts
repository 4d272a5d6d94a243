import { VERSION } from '../../version.js';
import { bytes, json } from './exchange.js';
import type { ConnectRoutes } from './routes.js';

/**
 * What a standalone node (`keyhold connect` with a replica) says of its sync for `/health`, as
 * 1Password Connect reports its own: `SYNCED`, `STALE` (with since when) or `NOT_SYNCED`, and
 * whether reads can be served (the probe's 200 or 503).
 */
export interface SyncHealth {
  state: 'SYNCED' | 'STALE' | 'NOT_SYNCED';
  serving: boolean;
  message?: string;
}

/**
 * Liveness (`/heartbeat`) and readiness (`/health`, `/v1/health`) probes: no token needed.
 * A Connect server hosted in process, or one that forwards every call, depends on the central
 * service alone (`central: ACTIVE`); a standalone node reports its sync instead, and answers
 * 503 while it cannot serve reads.
 */
export function probeRoutes(routes: ConnectRoutes, sync?: () => SyncHealth): void {
  const heartbeat = Buffer.from('.');
  routes.get('/heartbeat', () => bytes(heartbeat, { 'content-type': 'text/plain; charset=utf-8' }));
  const health = () => {
    if (!sync) {
      return json({
        name: 'Keyhold Connect',
        version: VERSION,
        dependencies: [{ service: 'central', status: 'ACTIVE' }],
      });
    }
    const { state, serving, message } = sync();
    return json(
      {
        name: 'Keyhold Connect',
        version: VERSION,
        dependencies: [{ service: 'sync', status: state, ...(message ? { message } : {}) }],
      },
      serving ? 200 : 503,
    );
  };
  routes.get('/health', health);
  routes.get('/v1/health', health);
}
