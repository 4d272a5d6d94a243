import { parse, serialize } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'keyhold_session';
/** Double-submit token of the login form, which has no session to bind a CSRF token to yet. */
export const LOGIN_CSRF_COOKIE = 'keyhold_login_csrf';
/** A sign-in whose password was right and whose second step is pending (`Strict`: only this site's own forms). */
export const MFA_COOKIE = 'keyhold_mfa';

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  try {
    return parse(header)[name];
  } catch {
    return undefined;
  }
}

/**
 * Cookies are scoped to one account's pages, http-only, and `Secure` whenever the public URL is
 * https. The session cookie is `SameSite=Lax` because a client sends the user to `/authorize` by
 * a cross-site top-level navigation, which must carry the session; the login CSRF cookie only
 * ever goes back to this site's own form, so it is `Strict`.
 */
export function setCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  options: { path: string; secure: boolean; maxAge?: number; sameSite: 'lax' | 'strict' },
): void {
  reply.header(
    'set-cookie',
    serialize(name, value, {
      httpOnly: true,
      secure: options.secure,
      sameSite: options.sameSite,
      path: options.path,
      ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
    }),
  );
}
