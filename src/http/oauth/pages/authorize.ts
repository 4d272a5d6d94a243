import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  type AuthorizationRequest,
  RedirectableError,
  UntrustedRedirectError,
} from '../../../domain/oauth/authorization-request.js';
import { approve, planConsent, reuseGrant } from '../../../domain/oauth/consent.js';
import { chosenDetails, type DetailConsent, planDetails } from '../../../domain/oauth/consent-details.js';
import { afterFreshSignIn, needsFreshSignIn, signInOf } from '../../../domain/oauth/oidc-request.js';
import {
  answerOnce,
  type FrontChannelRequest,
  frontChannelRequest,
} from '../../../domain/oauth/pushed-authorization.js';
import { REFRESH_TOKEN_TTL } from '../../../domain/oauth/token-issuer.js';
import type { Services } from '../../../services.js';
import { checkCsrf, field, formOf, type PageContext, pageContext } from './page-context.js';
import { sendPage } from './security-headers.js';
import { consentPage, errorPage } from './views.js';

/**
 * `GET /oauth/{account}/authorize` and the consent form it shows (`POST …/consent`). The consent
 * form carries the authorization request's query string and is validated again on POST: nothing
 * about the request is trusted from the form that the first validation did not also see.
 */
export function authorizeRoutes(app: FastifyInstance, services: Services): void {
  const { storage } = services;

  /** Validates, or answers the error itself (page or redirect) and returns undefined. */
  const validate = async (page: PageContext, query: string, reply: FastifyReply) =>
    answeringErrors(page, reply, () =>
      frontChannelRequest(storage, page.accountId, new URLSearchParams(query)),
    );

  /**
   * The one answer of a pushed request (RFC 9126): false, with `invalid_request_uri` sent
   * instead, when another answer to it was sent first.
   */
  const settle = async (page: PageContext, authz: FrontChannelRequest, reply: FastifyReply) =>
    (await answeringErrors(page, reply, async () => {
      await answerOnce(storage, authz);
      return true;
    })) === true;

  /** Runs `step`, or answers its authorization error (page or redirect) and returns undefined. */
  const answeringErrors = async <T>(page: PageContext, reply: FastifyReply, step: () => Promise<T>) => {
    try {
      return await step();
    } catch (error) {
      if (error instanceof UntrustedRedirectError) {
        sendPage(reply, 400, errorPage('This request cannot be completed', error.message));
        return undefined;
      }
      if (error instanceof RedirectableError) {
        redirectToClient(reply, services, page, error.redirectUri, error.state, {
          error: error.error.error,
          error_description: error.error.message,
        });
        return undefined;
      }
      throw error;
    }
  };

  app.get('/oauth/:accountId/authorize', async (request, reply) => {
    const page = await pageContext(services, request);
    const query = request.url.split('?')[1] ?? '';
    const authz = await validate(page, query, reply);
    if (!authz) return reply;
    const deny = (error: string, description: string) =>
      redirectToClient(reply, services, page, authz.redirectUri, authz.state, {
        error,
        error_description: description,
      });
    const none = authz.oidc.prompt.has('none');
    if (!page.session) {
      if (none) {
        if (!(await settle(page, authz, reply))) return reply;
        return deny('login_required', 'the user is not signed in');
      }
      return reply.redirect(`${page.base}/login?${new URLSearchParams({ request: query })}`, 303);
    }
    // prompt=login or a sign-in older than max_age: the user signs in again, on the login page,
    // which then replays the request without what made it ask (oidc-request.ts).
    // A pushed request cannot be replayed without what made it ask: a sign-in since it was first
    // opened is the fresh one it asked for.
    if (needsFreshSignIn(authz.oidc, page.session.record, authz.openedAt)) {
      if (none) {
        if (!(await settle(page, authz, reply))) return reply;
        return deny('login_required', 'the request asks for a fresher sign-in than the user has');
      }
      const replay =
        authz.pushedRequestId === null ? afterFreshSignIn(new URLSearchParams(query)).toString() : query;
      return reply.redirect(
        `${page.base}/login?${new URLSearchParams({ request: replay, fresh: '1' })}`,
        303,
      );
    }
    const signedIn = signInOf(page.session.record);
    const session = page.session;
    // A grant_id that is not the signed-in user's is answered at the redirect URI.
    const plan = await answeringErrors(page, reply, () =>
      planConsent(storage, services.vaults, session.ctx, authz),
    );
    if (!plan) return reply;
    if (!plan.needed) {
      if (!(await settle(page, authz, reply))) return reply;
      const code = await reuseGrant(storage, authz, plan, signedIn);
      return redirectToClient(reply, services, page, authz.redirectUri, authz.state, { code });
    }
    if (none) {
      if (!(await settle(page, authz, reply))) return reply;
      return deny('consent_required', 'the user has not approved this request');
    }
    const details = await planDetails(services, page.session.ctx, authz.authorizationDetails ?? []);
    return showConsent(reply, page, authz, plan.items, details, query);
  });

  app.post('/oauth/:accountId/consent', async (request, reply) => {
    const page = await pageContext(services, request);
    const form = formOf(request);
    if (!page.session) {
      return sendPage(
        reply,
        401,
        errorPage('Signed out', 'Your session has ended. Start again from the application.'),
      );
    }
    checkCsrf(form, page.session.record.csrfToken);
    const query = field(form, 'request') ?? '';
    const authz = await validate(page, query, reply);
    if (!authz) return reply;
    // Whatever the form says, it is this request's one answer.
    if (!(await settle(page, authz, reply))) return reply;
    const denied = () =>
      redirectToClient(reply, services, page, authz.redirectUri, authz.state, {
        error: 'access_denied',
        error_description: 'the user denied the request',
      });
    if (field(form, 'decision') !== 'approve') return denied();
    const session = page.session;
    const outcome = await answeringErrors(page, reply, async () => {
      const plan = await planConsent(storage, services.vaults, session.ctx, authz);
      const requested = authz.authorizationDetails ?? [];
      const details = chosenDetails(
        requested,
        requested.length === 0 ? [] : await planDetails(services, session.ctx, requested),
        form.getAll('detail'),
      );
      return {
        approved: await approve(
          storage,
          session.ctx,
          authz,
          plan,
          form.getAll('scope'),
          signInOf(session.record),
          details,
        ),
      };
    });
    if (!outcome) return reply;
    const { approved } = outcome;
    if (!approved) return denied();
    return redirectToClient(reply, services, page, authz.redirectUri, authz.state, { code: approved.code });
  });

  function showConsent(
    reply: FastifyReply,
    page: PageContext,
    authz: AuthorizationRequest,
    items: Awaited<ReturnType<typeof planConsent>>['items'],
    details: DetailConsent[],
    query: string,
  ) {
    const session = page.session;
    if (!session) throw new Error('showConsent needs a session');
    return sendPage(
      reply,
      200,
      consentPage({
        action: `${page.base}/consent`,
        csrf: session.record.csrfToken,
        request: query,
        clientName: authz.client.name,
        redirectUri: authz.redirectUri,
        resourceName: authz.resource.name,
        accessTokenTtl: authz.resource.accessTokenTtl,
        refreshTokenTtl: REFRESH_TOKEN_TTL,
        userEmail: session.user.email,
        items,
        details,
      }),
    );
  }
}

/**
 * Sends the browser back to the client with the response parameters, `state` exactly as
 * received and `iss` (RFC 9207) on success and error alike. 303, so a POST is never replayed.
 */
function redirectToClient(
  reply: FastifyReply,
  services: Services,
  page: PageContext,
  redirectUri: string,
  state: string | null,
  params: Record<string, string>,
): FastifyReply {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  if (state !== null) url.searchParams.set('state', state);
  url.searchParams.set('iss', services.oauth.issuer(page.accountId));
  return reply.redirect(url.toString(), 303);
}
