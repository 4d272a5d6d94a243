import type { FastifyInstance } from 'fastify';
import { ID_PATTERN } from '../../../crypto/ids.js';
import { notFound } from '../../../errors/app-error.js';
import type { Services } from '../../../services.js';
import { checkCsrf, formOf, pageContext } from './page-context.js';
import { sendPage } from './security-headers.js';
import { type GrantRow, grantsPage } from './views.js';

/**
 * `GET /oauth/{account}/grants`: what the signed-in user has allowed, in words (vault
 * names, what reading includes), when and when last used, each with a named revoke button. Revoking deletes the grant and with
 * it every code and token issued under it.
 */
export function grantRoutes(app: FastifyInstance, services: Services): void {
  app.get('/oauth/:accountId/grants', async (request, reply) => {
    const page = await pageContext(services, request);
    if (!page.session) return reply.redirect(`${page.base}/login`, 303);
    const apps = await services.connectedApps(page.session.ctx);
    const rows: GrantRow[] = apps.map((g) => ({
      id: g.id,
      clientName: g.clientName,
      resourceName: g.resourceName,
      access: g.access,
      narrowedTo: g.narrowedTo,
      createdAt: g.createdAt,
      lastUsedAt: g.lastUsedAt,
    }));
    const notice = new URLSearchParams(request.url.split('?')[1] ?? '').has('revoked')
      ? 'The grant is revoked; its tokens no longer work.'
      : undefined;
    return sendPage(
      reply,
      200,
      grantsPage({
        base: page.base,
        csrf: page.session.record.csrfToken,
        userEmail: page.session.user.email,
        grants: rows,
        ...(notice ? { notice } : {}),
      }),
    );
  });

  app.post('/oauth/:accountId/grants/:grantId/revoke', async (request, reply) => {
    const page = await pageContext(services, request);
    if (!page.session) return reply.redirect(`${page.base}/login`, 303);
    checkCsrf(formOf(request), page.session.record.csrfToken);
    const { grantId } = request.params as { grantId: string };
    if (!ID_PATTERN.test(grantId)) throw notFound(`grant ${grantId} not found`);
    await services.grants.revoke(page.session.ctx, grantId);
    return reply.redirect(`${page.base}/grants?revoked`, 303);
  });
}
