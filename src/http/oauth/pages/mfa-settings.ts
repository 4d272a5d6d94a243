import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Session } from '../../../domain/login/login-service.js';
import { TooManyAttemptsError } from '../../../domain/login/login-service.js';
import type { Services } from '../../../services.js';
import { enrolPage, mfaOnPage, recoveryCodesPage, startAgainPage } from './mfa-views.js';
import { checkCsrf, field, formOf, type PageContext, pageContext } from './page-context.js';
import { sendPage } from './security-headers.js';

const MAX_CODE = 64;

/**
 * `GET /oauth/{account}/mfa` and `POST …/mfa/enable|disable`: a signed-in user's own two-step
 * sign-in. Enrolment shows the QR code and the key, is switched on only by a valid code, and
 * shows the recovery codes once; turning it off takes a current code.
 */
export function mfaSettingsRoutes(app: FastifyInstance, services: Services): void {
  app.get('/oauth/:accountId/mfa', async (request, reply) => {
    const page = await pageContext(services, request);
    if (!page.session) return reply.redirect(`${page.base}/login`, 303);
    return settings(reply, services, page, page.session, 200);
  });

  app.post('/oauth/:accountId/mfa/enable', async (request, reply) => {
    const page = await pageContext(services, request);
    const form = formOf(request);
    if (!page.session) return reply.redirect(`${page.base}/login`, 303);
    checkCsrf(form, page.session.record.csrfToken);
    const code = field(form, 'code') ?? '';
    const owner = { kind: 'session', id: page.session.record.id } as const;
    const result =
      code.length > 0 && code.length <= MAX_CODE
        ? await services.mfa.confirm(page.session.ctx, page.session.user, owner, code)
        : ({ status: 'wrong' } as const);
    if (result.status === 'start-again') return sendPage(reply, 409, startAgainPage(`${page.base}/mfa`));
    if (result.status === 'wrong')
      return settings(reply, services, page, page.session, 401, 'The code is wrong; try the current one.');
    return sendPage(reply, 200, recoveryCodesPage({ codes: result.recoveryCodes, next: `${page.base}/mfa` }));
  });

  app.post('/oauth/:accountId/mfa/disable', async (request, reply) => {
    const page = await pageContext(services, request);
    const form = formOf(request);
    if (!page.session) return reply.redirect(`${page.base}/login`, 303);
    checkCsrf(form, page.session.record.csrfToken);
    const code = field(form, 'code') ?? '';
    if (code.length === 0 || code.length > MAX_CODE) {
      return settings(reply, services, page, page.session, 400, 'Enter a current code.');
    }
    try {
      if (!(await services.mfa.disable(page.session.ctx, page.session.user, code))) {
        return settings(reply, services, page, page.session, 401, 'The code is wrong or was already used.');
      }
    } catch (error) {
      if (error instanceof TooManyAttemptsError) {
        reply.header('retry-after', String(error.retryAfterSeconds));
        return settings(reply, services, page, page.session, 429, error.message);
      }
      throw error;
    }
    return reply.redirect(`${page.base}/mfa`, 303);
  });
}

async function settings(
  reply: FastifyReply,
  services: Services,
  page: PageContext,
  session: Session,
  status: number,
  error?: string,
) {
  const csrf = session.record.csrfToken;
  const state = await services.mfa.status(session.user);
  const shown = error === undefined ? {} : { error };
  if (state.enabled) {
    return sendPage(
      reply,
      status,
      mfaOnPage({
        base: page.base,
        csrf,
        email: session.user.email,
        recoveryCodesLeft: state.recoveryCodesLeft,
        ...shown,
      }),
    );
  }
  const enrolment = await services.mfa.enrolment(session.user, { kind: 'session', id: session.record.id });
  return sendPage(reply, status, enrolPage({ action: `${page.base}/mfa/enable`, csrf, enrolment, ...shown }));
}
