import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../../crypto/ids.js';
import { safeEqual } from '../../crypto/secrets.js';
import { CHALLENGE_TTL_SECONDS } from '../../domain/login/challenges.js';
import {
  type LoginFacts,
  type LoginOutcome,
  SESSION_TTL_SECONDS,
  type Session,
  TooManyAttemptsError,
} from '../../domain/login/login-service.js';
import { AppError, isAppError, unauthorized } from '../../errors/app-error.js';
import type { Services } from '../../services.js';
import { readCookie, setCookie } from '../oauth/cookies.js';
import { parseInput } from '../validate.js';

/** The web console's session cookie: a login session's secret, for the admin API only. */
export const CONSOLE_COOKIE = 'keyhold_console';
/** A console sign-in whose password was right and whose second step is pending. */
export const CONSOLE_MFA_COOKIE = 'keyhold_console_mfa';
const COOKIE_PATH = '/api/admin';
const MFA_COOKIE_PATH = '/api/admin/session';

const MAX_EMAIL = 254;
/** argon2 hashes any length; a bound keeps a huge "password" from costing more than a login. */
const MAX_PASSWORD = 1024;
const MAX_CODE = 64;

const signInBody = z.strictObject({
  email: z.string().min(1).max(MAX_EMAIL),
  password: z.string().min(1).max(MAX_PASSWORD),
  account: z.string().regex(ID_PATTERN, 'an account id').optional(),
});
const codeBody = z.strictObject({ code: z.string().min(1).max(MAX_CODE) });
const passwordBody = z.strictObject({
  current: z.string().min(1).max(MAX_PASSWORD),
  next: z.string().min(1).max(MAX_PASSWORD),
});

export const invalidCredentials = () =>
  new AppError(401, 'invalid_credentials', 'The email or password is wrong.');
const sessionExpired = () =>
  new AppError(401, 'session_expired', 'The console session has expired: sign in again.');
const csrfRefused = (why: string) => new AppError(403, 'csrf_refused', why);

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const factsOf = (request: FastifyRequest): LoginFacts => ({
  ip: request.ip,
  userAgent: request.headers['user-agent'] ?? null,
  requestId: request.id,
});

/** Whether the request carries the console cookie (so the console path authenticates it). */
export const hasConsoleCookie = (request: FastifyRequest) =>
  readCookie(request, CONSOLE_COOKIE) !== undefined;

/**
 * The console session a request is made with: the `keyhold_console` cookie's login session, live
 * and its user active (else 401: `session_expired` past its expiry, `unauthorized` otherwise).
 * A state-changing request must also carry the session's CSRF token in `x-csrf-token` (compared
 * in constant time) and, when it sends an `Origin`, come from the service's own origin (else 403
 * `csrf_refused`). The cookie is SameSite=Strict already; the token is what holds when a
 * browser's SameSite does not (an older browser, a sibling site on the same registrable domain).
 */
export async function consoleSession(services: Services, request: FastifyRequest): Promise<Session> {
  const found = await services.login.anySession(readCookie(request, CONSOLE_COOKIE), factsOf(request));
  if (found === 'expired') throw sessionExpired();
  if (!found) throw unauthorized('The console session is unknown or has ended: sign in again.');
  if (UNSAFE.has(request.method)) checkCsrf(services, request, found.record.csrfToken);
  return found;
}

function checkCsrf(services: Services, request: FastifyRequest, expected: string): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== ownOrigin(services)) {
    throw csrfRefused('The request came from another origin.');
  }
  const given = request.headers['x-csrf-token'];
  if (typeof given !== 'string' || !safeEqual(Buffer.from(given), Buffer.from(expected))) {
    throw csrfRefused('Send the session’s CSRF token in x-csrf-token (GET /api/admin/session gives it).');
  }
}

/** The origin of the public URL: the only one the console is served from. */
const ownOrigin = (services: Services) => new URL(services.publicUrl()).origin;
const secureCookies = (services: Services) => services.publicUrl().startsWith('https:');

function setSessionCookie(reply: FastifyReply, services: Services, value: string, maxAge: number) {
  setCookie(reply, CONSOLE_COOKIE, value, {
    path: COOKIE_PATH,
    secure: secureCookies(services),
    sameSite: 'strict',
    maxAge,
  });
}

function setMfaCookie(reply: FastifyReply, services: Services, value: string, maxAge: number) {
  setCookie(reply, CONSOLE_MFA_COOKIE, value, {
    path: MFA_COOKIE_PATH,
    secure: secureCookies(services),
    sameSite: 'strict',
    maxAge,
  });
}

/** What the console shows of a signed-in session. */
function sessionView(session: Session) {
  return {
    user: { id: session.user.id, email: session.user.email, role: session.user.role },
    account: session.account,
    csrfToken: session.record.csrfToken,
    expiresAt: session.record.expiresAt,
  };
}

/** Retry-After on a throttled attempt, as the pages send it. */
async function throttled<T>(reply: FastifyReply, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (error instanceof TooManyAttemptsError) reply.header('retry-after', String(error.retryAfterSeconds));
    throw error;
  }
}

/**
 * `/api/admin/session`: the web console's sign-in (before any admin authentication), reusing the
 * sign-in pages' LoginService and SecondStep, with their throttle and audit events. See the
 * "Console sessions" section of docs/admin-api.md.
 */
export function consoleSessionRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.post('/', async (request, reply) => {
      const body = parseInput(signInBody, request.body, 'body');
      const facts = factsOf(request);
      const outcome = await throttled(reply, () =>
        services.login.loginAnywhere(body.email, body.password, facts, body.account),
      );
      if (outcome === undefined) throw invalidCredentials();
      if ('accounts' in outcome) return { accounts: outcome.accounts };
      return signedIn(reply, services, outcome, facts);
    });

    app.post('/second-step', async (request, reply) => {
      const { code } = parseInput(codeBody, request.body, 'body');
      const facts = factsOf(request);
      const pending = await services.secondStep.pendingAnywhere(readCookie(request, CONSOLE_MFA_COOKIE));
      if (!pending) throw unauthorized('The sign-in has expired or used up its attempts: sign in again.');
      const result = await throttled(reply, () => services.secondStep.submit(pending, code, facts));
      if (result.status === 'wrong') {
        throw new AppError(401, 'invalid_credentials', 'The code is wrong or was already used.');
      }
      if (result.status === 'start-again') {
        // The pending sign-in stays; its key was replaced elsewhere: show the new one.
        const enrolment = await services.secondStep.enrolment(pending);
        reply.status(409);
        const message = 'The key was replaced by an enrolment elsewhere: add the new one.';
        return { status: 409, code: 'conflict', message, secondStep: 'enrol', enrolment };
      }
      setMfaCookie(reply, services, '', 0);
      if (result.status === 'expired') {
        throw unauthorized('The sign-in has expired or used up its attempts: sign in again.');
      }
      const session = await services.login.anySession(result.session, facts);
      if (!session || session === 'expired') throw unauthorized('The sign-in ended: sign in again.');
      setSessionCookie(reply, services, result.session, SESSION_TTL_SECONDS);
      return {
        ...sessionView(session),
        ...(result.recoveryCodes ? { recoveryCodes: result.recoveryCodes } : {}),
      };
    });

    app.get('/', async (request) => sessionView(await consoleSession(services, request)));

    app.delete('/', async (request, reply) => {
      const session = await consoleSession(services, request);
      await services.login.logout(session);
      setSessionCookie(reply, services, '', 0);
      return reply.status(204).send();
    });

    app.post('/password', async (request) => {
      const session = await consoleSession(services, request);
      const { current, next } = parseInput(passwordBody, request.body, 'body');
      try {
        await services.login.changePassword(session, current, next);
      } catch (error) {
        // The shared check answers 401 `unauthorized`, which the console would take for a
        // session that ended: here it is the typed password that is wrong.
        if (isAppError(error) && error.code === 'unauthorized') {
          throw new AppError(401, 'invalid_credentials', 'The current password is wrong.');
        }
        throw error;
      }
      return { changed: true };
    });

    // The signed-in user's own two-step sign-in, as the MFA settings page does it.
    app.get('/mfa', async (request) => {
      const session = await consoleSession(services, request);
      return services.mfa.status(session.user);
    });
    app.post('/mfa/enrolment', async (request) => {
      const session = await consoleSession(services, request);
      return services.mfa.enrolment(session.user, { kind: 'session', id: session.record.id });
    });
    app.post('/mfa/enable', async (request, reply) => {
      const session = await consoleSession(services, request);
      const { code } = parseInput(codeBody, request.body, 'body');
      const owner = { kind: 'session', id: session.record.id } as const;
      const result = await services.mfa.confirm(session.ctx, session.user, owner, code);
      if (result.status === 'wrong') {
        throw new AppError(401, 'invalid_credentials', 'The code is wrong; try the current one.');
      }
      if (result.status === 'start-again') {
        reply.status(409);
        const message = 'The key was replaced by an enrolment elsewhere: start again.';
        return { status: 409, code: 'conflict', message };
      }
      return { recoveryCodes: result.recoveryCodes };
    });
    app.post('/mfa/disable', async (request, reply) => {
      const session = await consoleSession(services, request);
      const { code } = parseInput(codeBody, request.body, 'body');
      const off = await throttled(reply, () => services.mfa.disable(session.ctx, session.user, code));
      if (!off) throw new AppError(401, 'invalid_credentials', 'The code is wrong or was already used.');
      return services.mfa.status(session.user);
    });
  };
}

/** After the password step: the session cookie, or the second step's cookie and what it needs. */
async function signedIn(
  reply: FastifyReply,
  services: Services,
  outcome: LoginOutcome & { accountId: string },
  facts: LoginFacts,
) {
  if ('challenge' in outcome) {
    setMfaCookie(reply, services, outcome.challenge, CHALLENGE_TTL_SECONDS);
    if (outcome.purpose === 'verify') return { secondStep: 'verify' as const };
    const pending = await services.secondStep.pending(outcome.accountId, outcome.challenge);
    if (!pending) throw unauthorized('The sign-in ended: sign in again.');
    return { secondStep: 'enrol' as const, enrolment: await services.secondStep.enrolment(pending) };
  }
  const session = await services.login.anySession(outcome.session, facts);
  if (!session || session === 'expired') throw unauthorized('The sign-in ended: sign in again.');
  setSessionCookie(reply, services, outcome.session, SESSION_TTL_SECONDS);
  return sessionView(session);
}
