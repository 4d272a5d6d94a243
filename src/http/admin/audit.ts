import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { auditQuery } from './schemas.js';

/** The account's audit trail, newest first; `before` pages with the `seq` of the last event seen. */
export function auditRoutes(app: FastifyInstance, { storage }: Services): void {
  app.get('/audit', async (request) => {
    const { limit, before } = parseInput(auditQuery, request.query, 'query');
    return storage.audit.list(request.ctx.actor.accountId, {
      limit,
      ...(before === undefined ? {} : { beforeSeq: before }),
    });
  });
}
