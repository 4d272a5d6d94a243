import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  type LoginFacts,
  SESSION_TTL_SECONDS,
  TooManyAttemptsError,
} from '../../../domain/login/login-service.js';
import type { PendingSignIn, SecondStepResult } from '../../../domain/login/second-step.js';
import type { Services } from '../../../services.js';
import { MFA_COOKIE, readCookie, SESSION_COOKIE, setCookie } from '../cookies.js';
import { afterLogin, returnPath } from './login.js';
import { codePage, enrolPage, recoveryCodesPage, startAgainPage } from './mfa-views.js';
import { checkCsrf, field, formOf, issueLoginCsrf, type PageContext, pageContext } from './page-context.js';
import { sendPage } from './security-headers.js';
import { loginPage } from './views.js';

/** Where the sign-in goes once done: the login page's `request` and `next`, carried through. */
interface Destination {
  request: string | null;
  next: string | null;
}

/** A TOTP code is 6 digits and a recovery code 19 characters; anything longer is not worth a check. */
const MAX_CODE = 64;

/**
 * `GET|POST /oauth/{account}/login/mfa`: the second step of a sign-in whose password was right.
 * A user with TOTP on gives a code (or a recovery code); a user without one, in an account that
 * requires it, enrols here and sees the recovery codes once. Only then is the session cookie set,
 * and the user goes on to where the sign-in was going (`request`, as on the login page).
 */
export function secondStepRoutes(app: FastifyInstance, services: Services): void {
  const path = '/oauth/:accountId/login/mfa';

  app.get(path, async (request, reply) => {
    const page = await pageContext(services, request);
    const query = new URLSearchParams(request.url.split('?')[1] ?? '');
    const to: Destination = { request: query.get('request'), next: returnPath(query.get('next')) };
    if (page.session) return reply.redirect(afterLogin(page.base, to.request, to.next), 303);
    const pending = await services.secondStep.pending(page.accountId, readCookie(request, MFA_COOKIE));
    if (!pending) return signInAgain(reply, page, to, 'Sign in first.', 200);
    return showStep(reply, services, page, pending, to, 200);
  });

  app.post(path, async (request, reply) => {
    const page = await pageContext(services, request);
    const form = formOf(request);
    const to: Destination = { request: field(form, 'request'), next: returnPath(field(form, 'next')) };
    const pending = await services.secondStep.pending(page.accountId, readCookie(request, MFA_COOKIE));
    if (!pending) {
      return signInAgain(reply, page, to, 'The sign-in has expired; sign in again.', 401);
    }
    checkCsrf(form, pending.challenge.csrfToken);
    const code = field(form, 'code') ?? '';
    if (code.trim().length === 0 || code.length > MAX_CODE) {
      return showStep(reply, services, page, pending, to, 400, 'Enter the code.');
    }
    let result: SecondStepResult;
    try {
      result = await services.secondStep.submit(pending, code, page.facts satisfies LoginFacts);
    } catch (error) {
      if (error instanceof TooManyAttemptsError) {
        reply.header('retry-after', String(error.retryAfterSeconds));
        return showStep(reply, services, page, pending, to, 429, error.message);
      }
      throw error;
    }
    if (result.status === 'wrong') {
      return showStep(reply, services, page, pending, to, 401, 'The code is wrong or was already used.');
    }
    if (result.status === 'start-again') {
      // The pending sign-in stays: its page (a GET) shows a new key for it.
      return sendPage(reply, 409, startAgainPage(stepUrl(page, to)));
    }
    clearChallengeCookie(reply, page);
    if (result.status === 'expired') {
      return signInAgain(
        reply,
        page,
        to,
        'The sign-in has expired or used up its attempts; sign in again.',
        401,
      );
    }
    setCookie(reply, SESSION_COOKIE, result.session, {
      path: page.base,
      secure: page.secureCookies,
      sameSite: 'lax',
      maxAge: SESSION_TTL_SECONDS,
    });
    const next = afterLogin(page.base, to.request, to.next);
    if (result.recoveryCodes)
      return sendPage(reply, 200, recoveryCodesPage({ codes: result.recoveryCodes, next }));
    // 303: the browser must follow with a GET and never re-post the code.
    return reply.redirect(next, 303);
  });
}

async function showStep(
  reply: FastifyReply,
  services: Services,
  page: PageContext,
  pending: PendingSignIn,
  to: Destination,
  status: number,
  error?: string,
) {
  const common = {
    action: `${page.base}/login/mfa`,
    csrf: pending.challenge.csrfToken,
    ...to,
    ...(error === undefined ? {} : { error }),
  };
  if (pending.challenge.purpose === 'verify') return sendPage(reply, status, codePage(common));
  const enrolment = await services.secondStep.enrolment(pending);
  return sendPage(reply, status, enrolPage({ ...common, enrolment, required: true }));
}

/** This page again, with where the sign-in is going. */
function stepUrl(page: PageContext, to: Destination): string {
  const query = new URLSearchParams();
  if (to.request) query.set('request', to.request);
  if (to.next) query.set('next', to.next);
  const tail = query.toString();
  return `${page.base}/login/mfa${tail ? `?${tail}` : ''}`;
}

function signInAgain(reply: FastifyReply, page: PageContext, to: Destination, error: string, status: number) {
  return sendPage(
    reply,
    status,
    loginPage({ action: `${page.base}/login`, csrf: issueLoginCsrf(reply, page), ...to, error }),
  );
}

function clearChallengeCookie(reply: FastifyReply, page: PageContext) {
  setCookie(reply, MFA_COOKIE, '', {
    path: page.base,
    secure: page.secureCookies,
    sameSite: 'strict',
    maxAge: 0,
  });
}
