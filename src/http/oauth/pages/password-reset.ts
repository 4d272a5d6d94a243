import type { FastifyInstance } from 'fastify';
import { completePasswordReset, resetLinkEmail } from '../../../domain/users/password-reset.js';
import { isAppError } from '../../../errors/app-error.js';
import type { Services } from '../../../services.js';
import { checkCsrf, field, formOf, issueLoginCsrf, loginCsrfCookie, pageContext } from './page-context.js';
import { sendPage } from './security-headers.js';
import { noticePage, resetPage } from './views.js';

/**
 * `GET|POST /oauth/{account}/reset?token=…`: the page of an administrator's one-time reset link
 * (domain/users/password-reset.ts). There is no session to bind the form to, so it carries the
 * login form's double-submit CSRF token. An unknown, replaced, used or expired link is an error
 * page saying which.
 */
export function passwordResetRoutes(app: FastifyInstance, services: Services): void {
  const { storage } = services;

  app.get('/oauth/:accountId/reset', async (request, reply) => {
    const page = await pageContext(services, request);
    const token = new URLSearchParams(request.url.split('?')[1] ?? '').get('token');
    const email = await resetLinkEmail(storage, page.accountId, token);
    const csrf = issueLoginCsrf(reply, page);
    return sendPage(reply, 200, resetPage({ action: `${page.base}/reset`, csrf, token: token ?? '', email }));
  });

  app.post('/oauth/:accountId/reset', async (request, reply) => {
    const page = await pageContext(services, request);
    const form = formOf(request);
    checkCsrf(form, loginCsrfCookie(request));
    const token = field(form, 'token');
    const password = field(form, 'password') ?? '';
    const again = async (error: string) =>
      sendPage(
        reply,
        400,
        resetPage({
          action: `${page.base}/reset`,
          csrf: issueLoginCsrf(reply, page),
          token: token ?? '',
          email: await resetLinkEmail(storage, page.accountId, token),
          error,
        }),
      );
    if (password !== (field(form, 'confirm') ?? '')) return again('The two passwords differ.');
    try {
      await completePasswordReset(storage, page.accountId, token, password, page.facts);
    } catch (error) {
      if (isAppError(error) && error.code === 'invalid_input') return again(error.message);
      throw error;
    }
    return sendPage(
      reply,
      200,
      noticePage('Password set', 'Your new password is set. Sign in with it.', {
        href: `${page.base}/login`,
        text: 'Sign in',
      }),
    );
  });
}
