import { compactVerify, decodeProtectedHeader } from 'jose';
import type { ClientRecord, Stores } from '../../storage/ports.js';
import type { SigningKeys } from '../connect/signing-keys.js';
import { UntrustedRedirectError } from './authorization-request.js';
import { redirectUriMatches } from './redirect-uris.js';

/** A validated RP-initiated logout request (OpenID Connect RP-Initiated Logout 1.0 §2). */
export interface EndSessionRequest {
  /** The relying party: the `aud` of `id_token_hint`, or `client_id`. */
  client: ClientRecord | undefined;
  /** The user `id_token_hint` names: a session of this user ends without asking. */
  hintSubject: string | undefined;
  /** Where to send the browser afterwards: one of the client's registered redirect URIs. */
  postLogoutRedirectUri: string | undefined;
  state: string | null;
}

const SINGLE = [
  'id_token_hint',
  'client_id',
  'post_logout_redirect_uri',
  'state',
  'logout_hint',
  'ui_locales',
];

/**
 * Validates the logout request. Every problem is shown to the user, never redirected: until the
 * client and its URI are known to go together, a redirect would make this an open redirector.
 *
 * - `id_token_hint` must be an ID token this issuer signed (`typ: JWT`, ES256 by one of the
 *   account's OAuth keys still verifying, `iss` exact); an expired one is accepted, as the
 *   specification asks (§2: the user's session may outlive it). Anything else is refused.
 * - `post_logout_redirect_uri` needs the client (from the hint or `client_id`, which must agree)
 *   and must be one of its registered redirect URIs: Keyhold has no separate list of logout URIs.
 */
export async function validateEndSession(
  stores: Pick<Stores, 'clients'>,
  keys: Pick<SigningKeys, 'verifier'>,
  issuer: string,
  accountId: string,
  params: URLSearchParams,
): Promise<EndSessionRequest> {
  for (const key of SINGLE) {
    if (params.getAll(key).length > 1) throw new UntrustedRedirectError(`parameter ${key} is repeated`);
  }
  const hint = params.get('id_token_hint');
  const claims = hint === null ? undefined : await verifyHint(keys, issuer, accountId, hint);
  const clientId = params.get('client_id');
  if (claims && clientId !== null && clientId !== claims.aud) {
    throw new UntrustedRedirectError('client_id is not the client the id_token_hint was issued to');
  }
  const id = claims?.aud ?? clientId;
  let client: ClientRecord | undefined;
  if (id !== null && id !== undefined) {
    const found = await stores.clients.findById(id);
    if (!found || found.accountId !== accountId) throw new UntrustedRedirectError(`unknown client ${id}`);
    client = found;
  }
  const uri = params.get('post_logout_redirect_uri') ?? undefined;
  if (uri !== undefined) {
    if (!client) {
      throw new UntrustedRedirectError(
        'post_logout_redirect_uri needs id_token_hint or client_id to name the client',
      );
    }
    if (!redirectUriMatches(client.redirectUris, uri)) {
      throw new UntrustedRedirectError(
        `post_logout_redirect_uri ${uri} is not registered for client ${client.name}`,
      );
    }
  }
  return { client, hintSubject: claims?.sub, postLogoutRedirectUri: uri, state: params.get('state') };
}

async function verifyHint(
  keys: Pick<SigningKeys, 'verifier'>,
  issuer: string,
  accountId: string,
  hint: string,
): Promise<{ sub: string; aud: string }> {
  const refused = () => new UntrustedRedirectError('id_token_hint is not an ID token of this server');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(hint);
  } catch {
    throw refused();
  }
  if (header.alg !== 'ES256' || header.typ !== 'JWT' || typeof header.kid !== 'string') throw refused();
  const key = await keys.verifier(header.kid);
  if (key?.kind !== 'oauth' || key.accountId !== accountId) throw refused();
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(hint, key.publicKey, { algorithms: ['ES256'] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    throw refused();
  }
  // The signature is this server's; the claims say it is an ID token of this issuer (an
  // expired one is fine: the hint only names the user and client).
  const { iss, sub, aud } = payload;
  if (iss !== issuer || typeof sub !== 'string' || typeof aud !== 'string' || !('auth_time' in payload)) {
    throw refused();
  }
  return { sub, aud };
}
