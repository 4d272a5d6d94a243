import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../../crypto/ids.js';
import type { ClientRecord, Stores } from '../../storage/ports.js';
import {
  type AuthorizationRequest,
  RedirectableError,
  UntrustedRedirectError,
  validateAuthorizationRequest,
} from './authorization-request.js';
import { clientRequiresPushedRequests } from './client-profile.js';
import type { CallFacts, OAuthDeps } from './context.js';
import { bindPushedRequest } from './dpop-jkt.js';
import { invalidRequest, invalidRequestUri, OAuthError } from './oauth-error.js';
import { readRequestObject } from './request-object.js';

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** Seconds from the push to the first use at the authorization endpoint (RFC 9126 §2.2). */
export const PUSHED_REQUEST_TTL = 60;
/**
 * Seconds from that first use to the answer: the person signs in (perhaps with a second step)
 * and approves in this time, during which the browser may reload the page (RFC 9126 §4 allows
 * that); the request still gets one answer only.
 */
export const OPENED_REQUEST_TTL = 600;

/**
 * The longest authorization request stored, as a query string: far more than any real one (a
 * browser would not carry much more in a URL), and a bound on what one authenticated client can
 * make every push cost the database.
 */
const MAX_PARAMETERS_LENGTH = 16 * 1024;

/** Parameters of client authentication, never part of the authorization request itself. */
const CLIENT_AUTH_PARAMETERS = ['client_secret', 'client_assertion', 'client_assertion_type'];

export interface PushedAuthorizationResponse {
  request_uri: string;
  expires_in: number;
}

/**
 * `POST /par` (RFC 9126 §2): the client authenticates as at the token endpoint and sends the
 * authorization request's parameters (or a signed request object, RFC 9101, in `request`). The
 * request is validated now, as `/authorize` would, and its errors answered here in RFC 6749's
 * JSON; what passes is stored and named by a one-time `request_uri`.
 */
export async function pushAuthorizationRequest(
  deps: OAuthDeps,
  accountId: string,
  facts: CallFacts,
): Promise<PushedAuthorizationResponse> {
  const client = await deps.clientAuth.authenticate(accountId, facts, [
    deps.issuer(accountId),
    facts.endpointUrl,
  ]);
  const parameters = await bindPushedRequest(
    deps,
    accountId,
    facts,
    await parametersOf(deps.issuer(accountId), client, facts.form),
  );
  if (parameters.toString().length > MAX_PARAMETERS_LENGTH) {
    throw invalidRequest(`the authorization request is longer than ${MAX_PARAMETERS_LENGTH} characters`);
  }
  try {
    await validateAuthorizationRequest(deps.storage, accountId, parameters);
  } catch (error) {
    // Nothing is redirected from here: the client gets every problem in the answer.
    if (error instanceof RedirectableError) throw error.error;
    throw error;
  }
  const requestUri = `${REQUEST_URI_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = Date.now();
  await deps.storage.pushedRequests.insert({
    id: newId(),
    uriHash: uriHash(requestUri),
    accountId,
    clientId: client.id,
    parameters: parameters.toString(),
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + PUSHED_REQUEST_TTL * 1000).toISOString(),
    openedAt: null,
    consumedAt: null,
  });
  return { request_uri: requestUri, expires_in: PUSHED_REQUEST_TTL };
}

async function parametersOf(
  issuer: string,
  client: ClientRecord,
  form: URLSearchParams,
): Promise<URLSearchParams> {
  if (form.has('request_uri')) throw invalidRequest('request_uri cannot be pushed (RFC 9126 §2.1)');
  const formClientId = form.get('client_id');
  if (formClientId !== null && formClientId !== client.id) {
    throw invalidRequest('client_id differs from the authenticated client');
  }
  const requests = form.getAll('request');
  if (requests.length > 1) throw invalidRequest('parameter request is repeated');
  if (requests[0] !== undefined) return readRequestObject(issuer, client, requests[0]);
  const parameters = new URLSearchParams();
  for (const [name, value] of form) {
    if (!CLIENT_AUTH_PARAMETERS.includes(name)) parameters.append(name, value);
  }
  parameters.set('client_id', client.id);
  return parameters;
}

/** An authorization request as `/authorize` takes it: pushed (and named by its id) or not. */
export type FrontChannelRequest = AuthorizationRequest & {
  pushedRequestId: string | null;
  /** When a pushed request was first opened at `/authorize` (null for one that was not pushed). */
  openedAt: string | null;
};

/**
 * The authorization request of a front-channel `/authorize` query. With `request_uri`, the
 * pushed request it names, and nothing else of the query but `client_id` (RFC 9126 §4): the
 * URI must be one this server issued to that client, unused and unexpired. Without it, the
 * query itself, unless the account requires pushed requests; a `request` object is accepted
 * only through the PAR endpoint.
 *
 * An unknown request_uri, or another client's, is shown to the user (nothing says where the
 * client's redirect URI is); an expired or used one of this client goes back to the redirect
 * URI it was pushed with, validated then and now, as `invalid_request_uri`.
 */
export async function frontChannelRequest(
  stores: Pick<Stores, 'clients' | 'resourceServers' | 'grants' | 'pushedRequests' | 'accountPolicies'>,
  accountId: string,
  query: URLSearchParams,
  now = Date.now(),
): Promise<FrontChannelRequest> {
  const requestUris = query.getAll('request_uri');
  if (requestUris.length === 0) {
    const request = await validateAuthorizationRequest(stores, accountId, query);
    const refuse = (error: OAuthError): never => {
      throw new RedirectableError(error, request.redirectUri, request.state);
    };
    if (query.has('request')) {
      refuse(
        new OAuthError(
          'request_not_supported',
          'a request object is accepted only through the pushed authorization request endpoint',
        ),
      );
    }
    if (await requiresPushedRequests(stores, accountId)) {
      refuse(
        invalidRequest(
          'this authorization server requires pushed authorization requests (RFC 9126): push the request to the pushed_authorization_request_endpoint and send its request_uri',
        ),
      );
    }
    if (clientRequiresPushedRequests(request.client)) {
      refuse(
        invalidRequest(
          `client ${request.client.name} is registered for pushed authorization requests only (RFC 9126 §6): push the request to the pushed_authorization_request_endpoint and send its request_uri`,
        ),
      );
    }
    return { ...request, pushedRequestId: null, openedAt: null };
  }
  const requestUri = requestUris[0] as string;
  if (requestUris.length > 1) throw new UntrustedRedirectError('request_uri is repeated');
  const clientIds = query.getAll('client_id');
  if (clientIds.length !== 1) {
    throw new UntrustedRedirectError('send client_id (once) with request_uri');
  }
  const pushed = requestUri.startsWith(REQUEST_URI_PREFIX)
    ? await stores.pushedRequests.findByHash(uriHash(requestUri))
    : undefined;
  if (!pushed || pushed.accountId !== accountId || pushed.clientId !== clientIds[0]) {
    throw new UntrustedRedirectError(
      'request_uri is not one this server issued to this client (or it is long expired)',
    );
  }
  const request = await validateAuthorizationRequest(
    stores,
    accountId,
    new URLSearchParams(pushed.parameters),
  );
  const at = new Date(now).toISOString();
  const refuse = (description: string): never => {
    throw new RedirectableError(invalidRequestUri(description), request.redirectUri, request.state);
  };
  if (pushed.consumedAt !== null) refuse('request_uri was already used: push the request again');
  if (pushed.expiresAt <= at) refuse('request_uri has expired: push the request again');
  if (pushed.openedAt === null) {
    await stores.pushedRequests.open(pushed.id, at, new Date(now + OPENED_REQUEST_TTL * 1000).toISOString());
  }
  return { ...request, pushedRequestId: pushed.id, openedAt: pushed.openedAt ?? at };
}

/**
 * Marks a pushed request answered, before its answer (a code or an error) is sent: of two
 * answers racing for one request_uri, one is sent and the other becomes `invalid_request_uri`.
 * A request that was not pushed needs nothing.
 */
export async function answerOnce(
  stores: Pick<Stores, 'pushedRequests'>,
  request: FrontChannelRequest,
): Promise<void> {
  if (request.pushedRequestId === null) return;
  if (!(await stores.pushedRequests.consume(request.pushedRequestId, new Date().toISOString()))) {
    throw new RedirectableError(
      invalidRequestUri('request_uri was already used or has expired: push the request again'),
      request.redirectUri,
      request.state,
    );
  }
}

/** Whether the account accepts only pushed authorization requests (its policy; RFC 9126 §5). */
export async function requiresPushedRequests(
  stores: Pick<Stores, 'accountPolicies'>,
  accountId: string,
): Promise<boolean> {
  return (await stores.accountPolicies.get(accountId))?.requirePushedRequests === true;
}

const uriHash = (requestUri: string): Buffer => createHash('sha256').update(requestUri).digest();
