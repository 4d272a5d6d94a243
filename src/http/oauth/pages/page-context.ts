import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from '../../../crypto/secrets.js';
import type { LoginFacts, Session } from '../../../domain/login/login-service.js';
import { badRequest } from '../../../errors/app-error.js';
import type { Services } from '../../../services.js';
import { accountOf } from '../account-param.js';
import { LOGIN_CSRF_COOKIE, readCookie, SESSION_COOKIE, setCookie } from '../cookies.js';

/** What every page handler works with: the account, its paths, and the request's session. */
export interface PageContext {
  accountId: string;
  /** `/oauth/{accountId}`: every page and cookie of the account lives under it. */
  base: string;
  secureCookies: boolean;
  facts: LoginFacts;
  session: Session | undefined;
}

export async function pageContext(services: Services, request: FastifyRequest): Promise<PageContext> {
  const accountId = await accountOf(services, request);
  const facts: LoginFacts = {
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
    requestId: request.id,
  };
  return {
    accountId,
    base: `/oauth/${accountId}`,
    secureCookies: services.oauth.issuer(accountId).startsWith('https:'),
    facts,
    session: await services.login.session(accountId, readCookie(request, SESSION_COOKIE), facts),
  };
}

/** The form of a page POST; a page never accepts anything else. */
export function formOf(request: FastifyRequest): URLSearchParams {
  if (!(request.body instanceof URLSearchParams))
    throw badRequest('send the form as application/x-www-form-urlencoded');
  return request.body;
}

/** One value of a form field; a repeated field is refused (a forged form). */
export function field(form: URLSearchParams, name: string): string | null {
  const values = form.getAll(name);
  if (values.length > 1) throw badRequest(`form field ${name} is repeated`);
  return values[0] ?? null;
}

/** Constant-time check of a form's CSRF token against the expected one. */
export function checkCsrf(form: URLSearchParams, expected: string | undefined): void {
  const given = field(form, 'csrf');
  if (!expected || !given || !safeEqual(Buffer.from(given), Buffer.from(expected))) {
    throw badRequest('the form has expired or did not come from this site; reload the page and try again');
  }
}

/** A fresh double-submit token for the login form, set as a cookie and returned for the form. */
export function issueLoginCsrf(reply: FastifyReply, page: PageContext): string {
  const token = randomBytes(32).toString('base64url');
  setCookie(reply, LOGIN_CSRF_COOKIE, token, {
    path: page.base,
    secure: page.secureCookies,
    sameSite: 'strict',
    maxAge: 3600,
  });
  return token;
}

export const loginCsrfCookie = (request: FastifyRequest) => readCookie(request, LOGIN_CSRF_COOKIE);
