import type { FastifyInstance, FastifyReply } from 'fastify';
import { TooManyAttemptsError } from '../../../domain/login/login-service.js';
import { isAppError } from '../../../errors/app-error.js';
import type { Services } from '../../../services.js';
import { checkCsrf, field, formOf, type PageContext, pageContext } from './page-context.js';
import { sendPage } from './security-headers.js';
import { passwordPage } from './views.js';

const MAX_PASSWORD = 1024;

/**
 * `GET|POST /oauth/{account}/password`: a signed-in user changes their own password (the current
 * one, and the new one twice). Throttled with the sign-in's keys; other sessions end.
 */
export function passwordRoutes(app: FastifyInstance, services: Services): void {
  const show = (
    reply: FastifyReply,
    page: PageContext,
    status: number,
    text: { error?: string; notice?: string },
  ) => {
    const session = page.session;
    if (!session) throw new Error('the password page needs a session');
    return sendPage(
      reply,
      status,
      passwordPage({
        base: page.base,
        csrf: session.record.csrfToken,
        userEmail: session.user.email,
        ...text,
      }),
    );
  };

  app.get('/oauth/:accountId/password', async (request, reply) => {
    const page = await pageContext(services, request);
    if (!page.session) return reply.redirect(`${page.base}/login`, 303);
    return show(reply, page, 200, {});
  });

  app.post('/oauth/:accountId/password', async (request, reply) => {
    const page = await pageContext(services, request);
    if (!page.session) return reply.redirect(`${page.base}/login`, 303);
    const form = formOf(request);
    checkCsrf(form, page.session.record.csrfToken);
    const current = field(form, 'current') ?? '';
    const next = field(form, 'password') ?? '';
    if (current.length === 0 || current.length > MAX_PASSWORD) {
      return show(reply, page, 400, { error: 'Give your current password.' });
    }
    if (next !== (field(form, 'confirm') ?? '')) {
      return show(reply, page, 400, { error: 'The two new passwords differ.' });
    }
    try {
      await services.login.changePassword(page.session, current, next);
    } catch (error) {
      if (error instanceof TooManyAttemptsError) {
        reply.header('retry-after', String(error.retryAfterSeconds));
        return show(reply, page, 429, { error: error.message });
      }
      if (isAppError(error) && error.status < 500)
        return show(reply, page, error.status, { error: error.message });
      throw error;
    }
    return show(reply, page, 200, {
      notice: 'Your password is changed. Your other sessions are signed out.',
    });
  });
}
