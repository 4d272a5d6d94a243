import type { FastifyInstance } from 'fastify';
import { listAudit } from '../../domain/audit/list-audit.js';
import type { Services } from '../../services.js';
import { parseInput } from '../validate.js';
import { auditQuery } from './schemas.js';

/** The account's audit trail, newest first; `before` pages with the `seq` of the last event seen. */
export function auditRoutes(app: FastifyInstance, { storage }: Services): void {
  app.get('/audit', async (request) => {
    const { limit, before } = parseInput(auditQuery, request.query, 'query');
    return listAudit(storage, request.ctx, { limit, ...(before === undefined ? {} : { beforeSeq: before }) });
  });
}
