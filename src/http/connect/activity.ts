import type { AuditEvent } from '../../storage/ports.js';
import { parseInput } from '../validate.js';
import type { ConnectRouteContext } from './app.js';
import { connectCall, json } from './exchange.js';
import type { ConnectRoutes } from './routes.js';
import { activityQuery } from './schemas.js';

/** An audit event in Connect's APIRequest shape. */
const toApiRequest = (e: AuditEvent) => ({
  requestId: e.requestId,
  timestamp: e.occurredAt,
  action: e.action,
  result: e.result,
  actor: { id: e.actorId, account: e.accountId, jti: e.tokenId, userAgent: e.userAgent, requestIp: e.ip },
  resource: {
    type: e.itemId ? 'ITEM' : 'VAULT',
    vault: { id: e.vaultId },
    ...(e.itemId ? { item: { id: e.itemId }, itemVersion: e.itemVersion } : {}),
  },
});

/** `GET /v1/activity`: the requests made through this server, newest first, paged with Content-Range. */
export function activityRoutes(routes: ConnectRoutes, { central }: ConnectRouteContext): void {
  routes.get('/v1/activity', async (request) => {
    const { limit, offset } = parseInput(activityQuery, request.query, 'query');
    const { events, total } = await central.activity(connectCall(request), { limit, offset });
    const first = events.length === 0 ? 0 : offset + 1;
    return json(events.map(toApiRequest), 200, {
      'content-range': `${first}-${offset + events.length}/${total}`,
    });
  });
}
