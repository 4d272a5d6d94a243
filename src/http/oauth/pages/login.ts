import type { FastifyInstance } from 'fastify';
import { CHALLENGE_TTL_SECONDS } from '../../../domain/login/challenges.js';
import {
  type LoginOutcome,
  SESSION_TTL_SECONDS,
  TooManyAttemptsError,
  UserDisabledError,
} from '../../../domain/login/login-service.js';
import type { Services } from '../../../services.js';
import { MFA_COOKIE, SESSION_COOKIE, setCookie } from '../cookies.js';
import { checkCsrf, field, formOf, issueLoginCsrf, loginCsrfCookie, pageContext } from './page-context.js';
import { sendPage } from './security-headers.js';
import { loginPage } from './views.js';

const MAX_EMAIL = 254;
/** argon2 hashes any length; a bound keeps a huge "password" from costing more than a login. */
const MAX_PASSWORD = 1024;

/**
 * `GET|POST /oauth/{account}/login` and `POST …/logout`. After a login the user goes back to
 * the authorization request they came with (`request`: its query string, always replayed
 * against this account's own `/authorize`, so there is nothing to redirect elsewhere) or to
 * their grants page. A user with a second factor (or who must enrol one) goes through
 * `…/login/mfa` first (second-step.ts), carrying `request` along.
 */
export function loginRoutes(app: FastifyInstance, services: Services): void {
  app.get('/oauth/:accountId/login', async (request, reply) => {
    const page = await pageContext(services, request);
    const query = new URLSearchParams(request.url.split('?')[1] ?? '');
    const pending = query.get('request');
    const next = returnPath(query.get('next'));
    // `fresh`: the authorization request asks for a new sign-in (prompt=login, max_age), so the
    // form is shown to a signed-in user too.
    if (page.session && query.get('fresh') === null) {
      return reply.redirect(afterLogin(page.base, pending, next), 303);
    }
    const csrf = issueLoginCsrf(reply, page);
    return sendPage(reply, 200, loginPage({ action: `${page.base}/login`, csrf, request: pending, next }));
  });

  app.post('/oauth/:accountId/login', async (request, reply) => {
    const page = await pageContext(services, request);
    const form = formOf(request);
    checkCsrf(form, loginCsrfCookie(request));
    const pending = field(form, 'request');
    const next = returnPath(field(form, 'next'));
    const email = field(form, 'email') ?? '';
    const password = field(form, 'password') ?? '';
    const again = (status: number, error: string) =>
      sendPage(
        reply,
        status,
        loginPage({
          action: `${page.base}/login`,
          csrf: issueLoginCsrf(reply, page),
          request: pending,
          next,
          error,
          email: email.slice(0, MAX_EMAIL),
        }),
      );
    if (
      email.length === 0 ||
      email.length > MAX_EMAIL ||
      password.length === 0 ||
      password.length > MAX_PASSWORD
    ) {
      return again(400, 'Give your email and password.');
    }
    let outcome: LoginOutcome | undefined;
    try {
      outcome = await services.login.login(page.accountId, email, password, page.facts);
    } catch (error) {
      if (error instanceof TooManyAttemptsError) {
        reply.header('retry-after', String(error.retryAfterSeconds));
        return again(429, error.message);
      }
      if (error instanceof UserDisabledError) return again(403, error.message);
      throw error;
    }
    if (outcome === undefined) return again(401, 'The email or password is wrong.');
    // A sign-in replaces the browser's session (a fresh sign-in asked for by prompt=login or
    // max_age): the old one ends now, so the second step below cannot be skipped on its strength.
    if (page.session) {
      await services.login.logout(page.session);
      if ('challenge' in outcome) {
        setCookie(reply, SESSION_COOKIE, '', {
          path: page.base,
          secure: page.secureCookies,
          sameSite: 'lax',
          maxAge: 0,
        });
      }
    }
    if ('challenge' in outcome) {
      // No session yet: the second step is bound to this browser by its own cookie.
      setCookie(reply, MFA_COOKIE, outcome.challenge, {
        path: page.base,
        secure: page.secureCookies,
        sameSite: 'strict',
        maxAge: CHALLENGE_TTL_SECONDS,
      });
      const destination = new URLSearchParams({
        ...(pending ? { request: pending } : {}),
        ...(next ? { next } : {}),
      }).toString();
      const query = destination ? `?${destination}` : '';
      return reply.redirect(`${page.base}/login/mfa${query}`, 303);
    }
    setCookie(reply, SESSION_COOKIE, outcome.session, {
      path: page.base,
      secure: page.secureCookies,
      sameSite: 'lax',
      maxAge: SESSION_TTL_SECONDS,
    });
    // 303: the browser must follow with a GET and never re-post the password.
    return reply.redirect(afterLogin(page.base, pending, next), 303);
  });

  app.post('/oauth/:accountId/logout', async (request, reply) => {
    const page = await pageContext(services, request);
    const form = formOf(request);
    if (page.session) {
      checkCsrf(form, page.session.record.csrfToken);
      await services.login.logout(page.session);
    }
    setCookie(reply, SESSION_COOKIE, '', {
      path: page.base,
      secure: page.secureCookies,
      sameSite: 'lax',
      maxAge: 0,
    });
    return reply.redirect(`${page.base}/login`, 303);
  });
}

/**
 * Where a signed-in user goes next. `pending` is re-encoded, never copied: whatever it holds
 * (even line breaks) becomes query parameters of this account's own `/authorize`. `next` is one
 * of this account's own pages (returnPath), so nothing can send the user elsewhere.
 */
export function afterLogin(base: string, pending: string | null, next: string | null = null): string {
  if (pending) return `${base}/authorize?${new URLSearchParams(pending)}`;
  return next ? `${base}${next}` : `${base}/grants`;
}

/**
 * The pages a sign-in may return to, relative to the account's base: the device user-code page
 * (with the code it was opened with). Anything else is dropped.
 */
export function returnPath(next: string | null): string | null {
  return next !== null && /^\/device(\?user_code=[A-Za-z0-9-]{1,20})?$/.test(next) ? next : null;
}
