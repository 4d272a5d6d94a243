import { isId } from '../../crypto/ids.js';
import { hashSecret } from '../../crypto/secrets.js';
import type {
  ActorClaim,
  OAuthTokenRecord,
  ResourceServerRecord,
  VaultAuthorizationDetail,
} from '../../storage/ports.js';
import { activeUser } from '../users/active-user.js';
import { parseBasic } from './client-auth.js';
import type { CallFacts, OAuthDeps } from './context.js';
import { invalidClient, invalidRequest } from './oauth-error.js';
import { refuseRepeatedParameters } from './repeated-parameters.js';
import type { ResourceServerService } from './resource-server-service.js';
import { signatureStands } from './signed-by.js';

/** RFC 7662 §2.2. An inactive token gets `{active: false}` and nothing else. */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      aud: string;
      iss: string;
      exp: number;
      iat: number;
      jti: string;
      /** `DPoP` for a DPoP-bound access token (RFC 9449 §6.2). */
      token_type: 'Bearer' | 'DPoP' | 'refresh_token';
      /** The thumbprint of the key a bound token is bound to (RFC 9449 §6.2). */
      cnf?: { jkt: string };
      /** RFC 8693 §4.1: who acts for the subject, for a token a token exchange delegated. */
      act?: ActorClaim;
      /** The authorization details the token carries (RFC 9396 §9.2). */
      authorization_details?: VaultAuthorizationDetail[];
    };

const INACTIVE = { active: false } as const;

/**
 * `POST /introspect`. The caller authenticates as a resource server (HTTP Basic: its id and
 * secret), which may introspect access tokens issued for it, or as a client, which may introspect
 * its own tokens. Anything else about a token — unknown, expired, revoked, someone else's — is
 * the same `{active: false}`, so introspection reveals nothing to a caller it is not for.
 */
export async function introspect(
  deps: OAuthDeps,
  resourceServers: ResourceServerService,
  accountId: string,
  facts: CallFacts,
): Promise<IntrospectionResponse> {
  return (await introspectFor(deps, resourceServers, accountId, facts)).response;
}

/**
 * `introspect`, with the id the caller authenticated with (a resource server's or a client's):
 * the audience of an RFC 9701 signed answer.
 */
export async function introspectFor(
  deps: OAuthDeps,
  resourceServers: ResourceServerService,
  accountId: string,
  facts: CallFacts,
): Promise<{ callerId: string; response: IntrospectionResponse }> {
  refuseRepeatedParameters(facts.form);
  const caller = await authenticateCaller(deps, resourceServers, accountId, facts);
  const callerId = caller.kind === 'resource_server' ? caller.server.id : caller.clientId;
  return { callerId, response: await answerFor(deps, accountId, caller, facts) };
}

async function answerFor(
  deps: OAuthDeps,
  accountId: string,
  caller: Caller,
  facts: CallFacts,
): Promise<IntrospectionResponse> {
  const token = facts.form.get('token');
  if (!token) throw invalidRequest('token is missing');
  const record = await deps.storage.oauthTokens.findByHash(hashSecret(token));
  if (!record || record.accountId !== accountId || !isActive(record)) return INACTIVE;
  const allowed =
    caller.kind === 'resource_server'
      ? record.kind === 'access' && record.resource === caller.server.identifier
      : record.clientId === caller.clientId;
  if (!allowed) return INACTIVE;
  // A JWT signed by a key since withdrawn is inactive, like a revoked one.
  if (!(await signatureStands(deps.keys, token))) return INACTIVE;
  // A token of a disabled (or deleted) user is inactive at once, whatever its expiry says.
  if (record.userId !== null && !(await activeUser(deps.storage, accountId, record.userId)).active) {
    return INACTIVE;
  }
  return {
    active: true,
    scope: record.scopes.join(' '),
    client_id: record.clientId,
    sub: record.userId ?? record.clientId,
    aud: record.resource,
    iss: deps.issuer(accountId),
    exp: Math.floor(Date.parse(record.expiresAt) / 1000),
    iat: Math.floor(Date.parse(record.createdAt) / 1000),
    jti: record.id,
    token_type: record.kind === 'refresh' ? 'refresh_token' : record.jkt === null ? 'Bearer' : 'DPoP',
    ...(record.jkt === null ? {} : { cnf: { jkt: record.jkt } }),
    ...(record.act === undefined ? {} : { act: record.act }),
    ...(record.authorizationDetails === undefined
      ? {}
      : { authorization_details: record.authorizationDetails }),
  };
}

export const isActive = (record: OAuthTokenRecord, now = new Date().toISOString()) =>
  record.revokedAt === null && record.rotatedAt === null && record.expiresAt > now;

type Caller =
  | { kind: 'resource_server'; server: ResourceServerRecord }
  | { kind: 'client'; clientId: string };

async function authenticateCaller(
  deps: OAuthDeps,
  resourceServers: ResourceServerService,
  accountId: string,
  facts: CallFacts,
): Promise<Caller> {
  const basic = facts.authorization === undefined ? undefined : parseBasic(facts.authorization);
  // A resource server's id is a bare id; a client id starts with `kc-`, so they never collide.
  if (basic && isId(basic.id)) {
    const server = await resourceServers.authenticate(basic.secret);
    if (!server || server.id !== basic.id || server.accountId !== accountId) {
      throw invalidClient('resource server authentication failed');
    }
    return { kind: 'resource_server', server };
  }
  const client = await deps.clientAuth.authenticate(accountId, facts, [
    deps.issuer(accountId),
    facts.endpointUrl,
  ]);
  if (client.authMethod === 'none') {
    throw invalidClient('a public client cannot introspect: introspection needs an authenticated caller');
  }
  return { kind: 'client', clientId: client.id };
}
