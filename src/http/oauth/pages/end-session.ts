import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UntrustedRedirectError } from '../../../domain/oauth/authorization-request.js';
import { type EndSessionRequest, validateEndSession } from '../../../domain/oauth/end-session.js';
import type { Services } from '../../../services.js';
import { SESSION_COOKIE, setCookie } from '../cookies.js';
import { endSessionPage, signedOutPage } from './end-session-views.js';
import { checkCsrf, field, formOf, type PageContext, pageContext } from './page-context.js';
import { sendPage } from './security-headers.js';
import { errorPage } from './views.js';

/** The logout request's own parameters, carried through the confirmation form. */
const CARRIED = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state'];

/**
 * `GET|POST {issuer}/end_session`: OpenID Connect RP-Initiated Logout 1.0. A valid `id_token_hint`
 * naming the signed-in user ends the session at once; without one (or naming someone else), the
 * user is asked first, so a link on any page cannot sign them out (the form carries the session's
 * CSRF token). Then the browser goes to `post_logout_redirect_uri` with `state`, or sees a page.
 *
 * The session cookie is `SameSite=Lax`: a browser sends it along a cross-site GET navigation,
 * not a cross-site POST, so a relying party must send the user here with GET for the session to
 * be seen (a POST from elsewhere finds no session: nothing to end, and the browser moves on).
 */
export function endSessionRoutes(app: FastifyInstance, services: Services): void {
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const page = await pageContext(services, request);
    const post = request.method === 'POST';
    const params = post ? formOf(request) : new URLSearchParams(request.url.split('?')[1] ?? '');
    const decision = post ? field(params, 'decision') : null;
    let logout: EndSessionRequest;
    try {
      logout = await validateEndSession(
        services.storage,
        services.signingKeys,
        services.oauth.issuer(page.accountId),
        page.accountId,
        params,
      );
    } catch (error) {
      if (error instanceof UntrustedRedirectError) {
        return sendPage(reply, 400, errorPage('This sign-out request cannot be completed', error.message));
      }
      throw error;
    }
    const session = page.session;
    if (!session) return finish(reply, logout, false);
    if (decision !== null) {
      checkCsrf(params, session.record.csrfToken);
      if (decision !== 'logout') return finish(reply, logout, true);
    } else if (logout.hintSubject !== session.user.id) {
      return sendPage(
        reply,
        200,
        endSessionPage({
          action: `${page.base}/end_session`,
          csrf: session.record.csrfToken,
          email: session.user.email,
          clientName: logout.client?.name,
          params: CARRIED.flatMap((name) => {
            const value = params.get(name);
            return value === null ? [] : [[name, value] as [string, string]];
          }),
        }),
      );
    }
    await services.login.logout(session);
    clearSession(reply, page);
    return finish(reply, logout, false);
  };
  app.get('/oauth/:accountId/end_session', handle);
  app.post('/oauth/:accountId/end_session', handle);
}

/** To the relying party's registered URI with `state`, or a page saying where the user stands. */
function finish(reply: FastifyReply, logout: EndSessionRequest, stillSignedIn: boolean): FastifyReply {
  if (logout.postLogoutRedirectUri === undefined) return sendPage(reply, 200, signedOutPage(stillSignedIn));
  const url = new URL(logout.postLogoutRedirectUri);
  if (logout.state !== null) url.searchParams.set('state', logout.state);
  return reply.redirect(url.toString(), 303);
}

function clearSession(reply: FastifyReply, page: PageContext): void {
  setCookie(reply, SESSION_COOKIE, '', {
    path: page.base,
    secure: page.secureCookies,
    sameSite: 'lax',
    maxAge: 0,
  });
}
