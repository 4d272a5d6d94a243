import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { queryAudit } from '../../domain/audit/audit-query.js';
import type { Services } from '../../services.js';
import { auditEvent } from './responses.js';
import { adminRoute } from './route.js';
import { auditQuery } from './schemas.js';

/**
 * The account's audit trail, newest first, each event with its actor's label; narrowed by the
 * query's filters, and `before` pages with the `seq` of the last event seen (docs/admin-api.md).
 */
export function auditRoutes(app: FastifyInstance, { storage }: Services): void {
  adminRoute(app, {
    method: 'GET',
    path: '/audit',
    summary: "The account's audit trail, newest first, narrowed by the filters",
    tag: 'Audit',
    query: auditQuery,
    response: { status: 200, body: z.array(auditEvent) },
    handler: ({ ctx, query: { actor, resource, ...query } }) =>
      queryAudit(storage, ctx, {
        ...query,
        ...(actor === undefined ? {} : { actorId: actor }),
        ...(resource === undefined ? {} : { resourceId: resource }),
      }),
  });
}
