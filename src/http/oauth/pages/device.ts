import type { FastifyInstance, FastifyReply } from 'fastify';
import { TooManyAttemptsError } from '../../../domain/login/login-service.js';
import type { Services } from '../../../services.js';
import { deviceConsentPage, deviceDonePage, userCodePage } from './device-views.js';
import { checkCsrf, field, formOf, type PageContext, pageContext } from './page-context.js';
import { sendPage } from './security-headers.js';

const NO_SUCH_CODE = 'That code is not valid: it may be mistyped, expired or already used.';

/**
 * `GET|POST /oauth/{account}/device`: the RFC 8628 verification page. A visitor who is not signed
 * in is sent to the sign-in page (the one every sign-in goes through) and back here after it.
 * The code is looked up (throttled) and what it asks for is shown before anything is decided;
 * `verification_uri_complete` only fills the code in, never approves.
 */
export function deviceRoutes(app: FastifyInstance, services: Services): void {
  const toLogin = (reply: FastifyReply, page: PageContext, code: string | null) => {
    const next = code ? `/device?${new URLSearchParams({ user_code: code.slice(0, 20) })}` : '/device';
    return reply.redirect(`${page.base}/login?${new URLSearchParams({ next })}`, 303);
  };

  /** Looks the code up and shows what it asks for, or the form again with why not. */
  const show = async (reply: FastifyReply, page: PageContext, code: string) => {
    const session = page.session;
    if (!session) throw new Error('show needs a session');
    const common = {
      action: `${page.base}/device`,
      csrf: session.record.csrfToken,
      userEmail: session.user.email,
    };
    try {
      const request = await services.deviceApproval.find(session.ctx, code);
      if (!request)
        return sendPage(
          reply,
          400,
          userCodePage({ ...common, error: NO_SUCH_CODE, code: code.slice(0, 20) }),
        );
      return sendPage(reply, 200, deviceConsentPage({ ...common, request }));
    } catch (error) {
      if (!(error instanceof TooManyAttemptsError)) throw error;
      reply.header('retry-after', String(error.retryAfterSeconds));
      return sendPage(reply, 429, userCodePage({ ...common, error: error.message }));
    }
  };

  app.get('/oauth/:accountId/device', async (request, reply) => {
    const page = await pageContext(services, request);
    const code = new URLSearchParams(request.url.split('?')[1] ?? '').get('user_code');
    if (!page.session) return toLogin(reply, page, code);
    if (code) return show(reply, page, code);
    return sendPage(
      reply,
      200,
      userCodePage({
        action: `${page.base}/device`,
        csrf: page.session.record.csrfToken,
        userEmail: page.session.user.email,
      }),
    );
  });

  app.post('/oauth/:accountId/device', async (request, reply) => {
    const page = await pageContext(services, request);
    const form = formOf(request);
    if (!page.session) return toLogin(reply, page, null);
    checkCsrf(form, page.session.record.csrfToken);
    const code = field(form, 'user_code') ?? '';
    const decision = field(form, 'decision');
    if (decision === null) return show(reply, page, code);
    try {
      const decided = await services.deviceApproval.decide(page.session.ctx, code, decision === 'approve');
      if (!decided) {
        return sendPage(
          reply,
          400,
          userCodePage({
            action: `${page.base}/device`,
            csrf: page.session.record.csrfToken,
            userEmail: page.session.user.email,
            error: NO_SUCH_CODE,
          }),
        );
      }
      return sendPage(reply, 200, deviceDonePage(decision === 'approve'));
    } catch (error) {
      if (!(error instanceof TooManyAttemptsError)) throw error;
      reply.header('retry-after', String(error.retryAfterSeconds));
      return sendPage(
        reply,
        429,
        userCodePage({
          action: `${page.base}/device`,
          csrf: page.session.record.csrfToken,
          userEmail: page.session.user.email,
          error: error.message,
        }),
      );
    }
  });
}
