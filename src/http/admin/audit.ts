import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LabelledAuditEvent } from '../../domain/audit/actor-labels.js';
import { type AuditQuery, queryAudit } from '../../domain/audit/audit-query.js';
import type { RequestContext } from '../../domain/context.js';
import type { Services } from '../../services.js';
import { auditEvent } from './responses/audit.js';
import { adminRoute } from './route.js';
import { auditExportQuery, auditQuery } from './schemas.js';

/** The media type of the export: one JSON event a line (https://github.com/ndjson/ndjson-spec). */
export const NDJSON = 'application/x-ndjson';
/** How many events the export reads at a time. */
const EXPORT_PAGE = 1000;

type Filters = z.output<typeof auditExportQuery>;

/** The query's `actor` and `resource` under the names the domain reads. */
const filterOf = ({ actor, resource, ...rest }: Filters): Omit<AuditQuery, 'limit'> => ({
  ...rest,
  ...(actor === undefined ? {} : { actorId: actor }),
  ...(resource === undefined ? {} : { resourceId: resource }),
});

/**
 * The account's audit trail, newest first, each event with its actor's label; narrowed by the
 * query's filters, and `before` pages with the `seq` of the last event seen (docs/admin-api.md).
 * The export answers every event the same filters match, as JSON lines.
 */
export function auditRoutes(app: FastifyInstance, { storage }: Services): void {
  adminRoute(app, {
    method: 'GET',
    path: '/audit',
    summary: "The account's audit trail, newest first, narrowed by the filters",
    tag: 'Audit',
    query: auditQuery,
    response: { status: 200, body: z.array(auditEvent) },
    handler: ({ ctx, query: { limit, before, ...filters } }) =>
      queryAudit(storage, ctx, {
        ...filterOf(filters),
        limit,
        ...(before === undefined ? {} : { before }),
      }),
  });

  adminRoute(app, {
    method: 'GET',
    path: '/audit/export',
    summary: 'Every event the filters match, newest first, as JSON lines (a download)',
    description:
      'The same filters as GET /api/admin/audit, without `limit` and `before`: one AuditEvent a line, newest first, each line ending in a newline; sent as an attachment named `keyhold-audit-<time>.jsonl`.',
    tag: 'Audit',
    query: auditExportQuery,
    response: { status: 200, bytes: NDJSON, description: 'One AuditEvent (JSON) a line' },
    handler: async ({ ctx, query, reply }) => {
      const filter = filterOf(query);
      // The first page is read before answering, so a refusal or a bad range is a plain error.
      const first = await queryAudit(storage, ctx, { ...filter, limit: EXPORT_PAGE });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      reply
        .type(NDJSON)
        .header('content-disposition', `attachment; filename="keyhold-audit-${stamp}.jsonl"`)
        .header('cache-control', 'no-store');
      return Readable.from(exportLines(storage, ctx, filter, first));
    },
  });
}

/** The lines of the export: the first page, then the next ones, a page at a time. */
async function* exportLines(
  storage: Services['storage'],
  ctx: RequestContext,
  filter: Omit<AuditQuery, 'limit'>,
  first: LabelledAuditEvent[],
): AsyncGenerator<string> {
  let page = first;
  while (page.length > 0) {
    yield `${page.map((event) => JSON.stringify(event)).join('\n')}\n`;
    if (page.length < EXPORT_PAGE) return;
    const last = page[page.length - 1] as LabelledAuditEvent;
    page = await queryAudit(storage, ctx, { ...filter, limit: EXPORT_PAGE, before: last.seq });
  }
}
