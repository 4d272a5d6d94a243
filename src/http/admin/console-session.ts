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
import {
  consoleSecondStep,
  consoleSession as consoleSessionView,
  consoleSignIn,
  consoleStartAgain,
  mfaEnabled,
  passwordChanged,
  totpEnrolment,
} from './responses/console-session.js';
import { mfaStatus } from './responses/people.js';
import { adminRoute } from './route.js';
import { setNameBody } from './schemas.js';

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
    user: {
      id: session.user.id,
      email: session.user.email,
      name: session.user.name,
      role: session.user.role,
    },
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
 * "Console sessions" section of docs/admin-api.md. Registered inside the admin plugin through
 * `adminRoute`, so the OpenAPI document describes them; their `auth` (`none`, `console`,
 * `console-second-step`) keeps the admin hook off them: each authenticates as it says. The
 * bodies of the `console` routes are parsed after the session is checked, as before.
 */
export function consoleSessionRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    adminRoute(app, {
      method: 'POST',
      path: '/',
      summary: 'Sign in to the console: sets the session cookie, or asks for an account or a second step',
      description:
        'A wrong password and an unknown email answer alike (401 `invalid_credentials`). When the password is right in several accounts and none was named, answers the accounts to pick from; when the user has (or must enrol) a second factor, sets the `keyhold_console_mfa` cookie and answers what the second step needs. Throttled like the sign-in pages (429 with Retry-After).',
      tag: 'Session',
      auth: 'none',
      body: signInBody,
      response: {
        status: 200,
        body: consoleSignIn,
        description: 'Signed in (with the session cookie set), or the next step',
      },
      handler: async ({ request, reply, body }) => {
        const facts = factsOf(request);
        const outcome = await throttled(reply, () =>
          services.login.loginAnywhere(body.email, body.password, facts, body.account),
        );
        if (outcome === undefined) throw invalidCredentials();
        if ('accounts' in outcome) return { accounts: outcome.accounts };
        return signedIn(reply, services, outcome, facts);
      },
    });

    adminRoute(app, {
      method: 'POST',
      path: '/second-step',
      summary: "The second step of a console sign-in: a TOTP or recovery code, or the new key's first code",
      tag: 'Session',
      auth: 'console-second-step',
      body: codeBody,
      response: {
        status: 200,
        body: consoleSecondStep,
        description: 'Signed in, the session cookie set; with the recovery codes after an enrolment',
      },
      otherResponses: [
        {
          status: 409,
          description: 'The key shown was replaced by an enrolment elsewhere: add this one instead',
          body: consoleStartAgain,
        },
      ],
      handler: async ({ request, reply, body: { code } }) => {
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
      },
    });

    adminRoute(app, {
      method: 'GET',
      path: '/',
      summary: 'The console session: its user, account, CSRF token and expiry',
      description:
        'A session past its expiry answers 401 `session_expired`; no or an unknown cookie, 401 `unauthorized`.',
      tag: 'Session',
      auth: 'console',
      response: { status: 200, body: consoleSessionView },
      handler: async ({ request }) => sessionView(await consoleSession(services, request)),
    });

    adminRoute(app, {
      method: 'DELETE',
      path: '/',
      summary: 'Sign out of the console: ends the session and clears its cookie',
      tag: 'Session',
      auth: 'console',
      response: { status: 204 },
      handler: async ({ request, reply }) => {
        const session = await consoleSession(services, request);
        await services.login.logout(session);
        setSessionCookie(reply, services, '', 0);
      },
    });

    adminRoute(app, {
      method: 'POST',
      path: '/password',
      summary: "Change the signed-in user's own password, with the current one",
      description: 'A wrong current password answers 401 `invalid_credentials` (the session goes on).',
      tag: 'Session',
      auth: 'console',
      // Parsed after the session is checked: no session, no word on the body.
      unparsedBody: { json: passwordBody },
      response: { status: 200, body: passwordChanged },
      handler: async ({ request, body: raw }) => {
        const session = await consoleSession(services, request);
        const { current, next } = parseInput(passwordBody, raw, 'body');
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
      },
    });

    adminRoute(app, {
      method: 'PUT',
      path: '/name',
      summary: "Set or remove (null) the signed-in user's own display name",
      description: 'The same rules as `PUT /users/{userId}/name`; answers the session with the new name.',
      tag: 'Session',
      auth: 'console',
      unparsedBody: { json: setNameBody },
      response: { status: 200, body: consoleSessionView },
      handler: async ({ request, body: raw }) => {
        const session = await consoleSession(services, request);
        const { name } = parseInput(setNameBody, raw, 'body');
        const renamed = await services.users.setName(session.ctx, session.user.id, name);
        return sessionView({ ...session, user: { ...session.user, name: renamed.name } });
      },
    });

    // The signed-in user's own two-step sign-in, as the MFA settings page does it.
    adminRoute(app, {
      method: 'GET',
      path: '/mfa',
      summary: "Whether the signed-in user's two-step sign-in is on",
      tag: 'Session',
      auth: 'console',
      response: { status: 200, body: mfaStatus },
      handler: async ({ request }) => {
        const session = await consoleSession(services, request);
        return services.mfa.status(session.user);
      },
    });
    adminRoute(app, {
      method: 'POST',
      path: '/mfa/enrolment',
      summary: 'Start enrolling a TOTP key for the signed-in user (not on until confirmed)',
      tag: 'Session',
      auth: 'console',
      response: { status: 200, body: totpEnrolment },
      handler: async ({ request }) => {
        const session = await consoleSession(services, request);
        return services.mfa.enrolment(session.user, { kind: 'session', id: session.record.id });
      },
    });
    adminRoute(app, {
      method: 'POST',
      path: '/mfa/enable',
      summary: "Turn two-step sign-in on with the enrolled key's current code",
      description:
        'A wrong code answers 401 `invalid_credentials`; 409 `conflict` when the key was replaced by an enrolment elsewhere (start again).',
      tag: 'Session',
      auth: 'console',
      unparsedBody: { json: codeBody },
      response: { status: 200, body: mfaEnabled, description: 'On; the recovery codes, shown once' },
      handler: async ({ request, reply, body: raw }) => {
        const session = await consoleSession(services, request);
        const { code } = parseInput(codeBody, raw, 'body');
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
      },
    });
    adminRoute(app, {
      method: 'POST',
      path: '/mfa/disable',
      summary: 'Turn two-step sign-in off with a current TOTP or recovery code',
      tag: 'Session',
      auth: 'console',
      unparsedBody: { json: codeBody },
      response: { status: 200, body: mfaStatus },
      handler: async ({ request, reply, body: raw }) => {
        const session = await consoleSession(services, request);
        const { code } = parseInput(codeBody, raw, 'body');
        const off = await throttled(reply, () => services.mfa.disable(session.ctx, session.user, code));
        if (!off) throw new AppError(401, 'invalid_credentials', 'The code is wrong or was already used.');
        return services.mfa.status(session.user);
      },
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
