import type { FastifyInstance } from 'fastify';
import { queryAudit } from '../../domain/audit/audit-query.js';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { auditQuery } from './schemas.js';

/**
 * The account's audit trail, newest first, each event with its actor's label; narrowed by the
 * query's filters, and `before` pages with the `seq` of the last event seen (docs/admin-api.md).
 */
export function auditRoutes(app: FastifyInstance, { storage }: Services): void {
  app.get('/audit', async (request) => {
    const { actor, resource, ...query } = parseInput(auditQuery, request.query, 'query');
    return queryAudit(storage, request.ctx, {
      ...query,
      ...(actor === undefined ? {} : { actorId: actor }),
      ...(resource === undefined ? {} : { resourceId: resource }),
    });
  });
}
