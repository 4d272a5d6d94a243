import { createHash } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { hashSecret, safeEqual } from '../../crypto/secrets.js';
import type { ClientRecord, Stores } from '../../storage/ports.js';
import { storedClientId } from './cli-client.js';
import { assertionAudiences } from './client-profile.js';
import { CLIENT_SECRET_PATTERN } from './client-service.js';
import { invalidClient, invalidRequest } from './oauth-error.js';

/** What a request to the token, introspection or revocation endpoint presents as a client. */
export interface ClientCredentials {
  /** The `Authorization` header, if any. */
  authorization: string | undefined;
  form: URLSearchParams;
}

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A client assertion is accepted for this long after its `iat` (and never after its `exp`). */
const MAX_ASSERTION_AGE_SECONDS = 600;

/**
 * Authenticates the client of a back-channel request with the one method it is registered for
 * (RFC 6749 §2.3, RFC 7523 for private_key_jwt). A request that uses more than one method is
 * malformed; a client using another method than its own is refused, so a client registered for
 * `private_key_jwt` can never be reached with a guessed secret.
 */
/**
 * A client authenticates the way it registered, except that a secret may come either way: RFC 6749
 * §2.3.1 requires HTTP Basic for every client with a password, and clients (and their libraries)
 * differ on which one they send. Both carry the same secret over the same TLS, so neither is weaker.
 * A client registered for `private_key_jwt` or `none` never authenticates with a secret.
 */
const SECRET_METHODS: ReadonlySet<string> = new Set(['client_secret_basic', 'client_secret_post']);
const methodAccepted = (registered: string, presented: string): boolean =>
  registered === presented || (SECRET_METHODS.has(registered) && SECRET_METHODS.has(presented));

export class ClientAuthenticator {
  readonly #stores: Pick<Stores, 'clients' | 'usedJtis'>;

  constructor(stores: Pick<Stores, 'clients' | 'usedJtis'>) {
    this.#stores = stores;
  }

  /** `audiences`: the values a client assertion's `aud` may hold: the issuer first, then the endpoint URL. */
  async authenticate(
    accountId: string,
    credentials: ClientCredentials,
    audiences: string[],
  ): Promise<ClientRecord> {
    const presented = readCredentials(credentials);
    const client = await this.#stores.clients.findById(storedClientId(accountId, presented.clientId));
    if (!client || client.accountId !== accountId) throw invalidClient('unknown client');
    if (!methodAccepted(client.authMethod, presented.method)) {
      throw invalidClient(
        `client ${client.id} authenticates with ${client.authMethod}, not ${presented.method}`,
      );
    }
    switch (presented.method) {
      case 'client_secret_basic':
      case 'client_secret_post':
        if (
          !client.secretHash ||
          !CLIENT_SECRET_PATTERN.test(presented.secret) ||
          !safeEqual(hashSecret(presented.secret), client.secretHash)
        )
          throw invalidClient('client authentication failed');
        return client;
      case 'private_key_jwt':
        await this.#verifyAssertion(client, presented.assertion, audiences);
        return client;
      case 'none':
        return client;
    }
  }

  async #verifyAssertion(client: ClientRecord, assertion: string, audiences: string[]): Promise<void> {
    if (!client.jwks) throw invalidClient('client authentication failed');
    const keys = createLocalJWKSet(JSON.parse(client.jwks) as JSONWebKeySet);
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(assertion, keys, {
        issuer: client.id,
        subject: client.id,
        audience: assertionAudiences(client, audiences),
        algorithms: ['ES256', 'RS256', 'PS256'],
        requiredClaims: ['exp', 'jti', 'iat'],
        maxTokenAge: MAX_ASSERTION_AGE_SECONDS,
      }));
    } catch {
      throw invalidClient('client assertion is invalid, expired or not meant for this server');
    }
    if (client.fapi2SecurityProfile && typeof payload.aud !== 'string') {
      throw invalidClient('client assertion aud must be the issuer identifier alone, as a string (FAPI 2.0)');
    }
    // RFC 7523 §3: a jti is used once; a replayed assertion authenticates nothing, on any node.
    // It is remembered for as long as the assertion could be accepted (the checks above count
    // whole seconds: one more covers the last of them), no longer.
    const acceptedUntil = Math.min(
      payload.exp as number,
      (payload.iat as number) + MAX_ASSERTION_AGE_SECONDS,
    );
    const key = createHash('sha256').update(client.id).update('\0').update(String(payload.jti)).digest();
    if (!(await this.#stores.usedJtis.claim(key, (Math.ceil(acceptedUntil) + 1) * 1000, Date.now()))) {
      throw invalidClient('client assertion was already used');
    }
  }
}

type Presented =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; clientId: string; assertion: string }
  | { method: 'none'; clientId: string };

function readCredentials({ authorization, form }: ClientCredentials): Presented {
  const basic = authorization === undefined ? undefined : parseBasic(authorization);
  const assertionType = form.get('client_assertion_type');
  const used = [basic, form.has('client_secret'), assertionType !== null].filter(Boolean).length;
  if (used > 1) throw invalidRequest('use exactly one client authentication method');
  const formClientId = form.get('client_id');
  if (basic) {
    if (formClientId !== null && formClientId !== basic.id)
      throw invalidRequest('client_id differs from the authenticated client');
    return { method: 'client_secret_basic', clientId: basic.id, secret: basic.secret };
  }
  if (assertionType !== null) {
    if (assertionType !== JWT_BEARER_ASSERTION)
      throw invalidClient(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    const assertion = form.get('client_assertion');
    if (!assertion) throw invalidRequest('client_assertion is missing');
    const clientId = formClientId ?? unverifiedIssuer(assertion);
    return { method: 'private_key_jwt', clientId, assertion };
  }
  if (formClientId === null) throw invalidClient('no client authentication: give client_id and credentials');
  const secret = form.get('client_secret');
  if (secret !== null) return { method: 'client_secret_post', clientId: formClientId, secret };
  return { method: 'none', clientId: formClientId };
}

/**
 * HTTP Basic credentials as RFC 6749 §2.3.1 defines them for OAuth: id and secret are each
 * form-urlencoded before being joined, so they are decoded after splitting.
 */
export function parseBasic(authorization: string): { id: string; secret: string } {
  const encoded = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(authorization)?.[1];
  if (!encoded) throw invalidClient('unsupported Authorization scheme: use Basic');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw invalidClient('malformed Basic credentials');
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw invalidClient('malformed Basic credentials');
  }
}

/** The `iss` of an assertion, read only to find the client whose keys then verify it. */
function unverifiedIssuer(assertion: string): string {
  try {
    const payload = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8'));
    if (typeof payload?.iss === 'string') return payload.iss;
  } catch {
    // fall through
  }
  throw invalidClient('client assertion is malformed');
}
