import { hashSecret } from '../../crypto/secrets.js';
import type { ActorClaim, ClientRecord, OAuthTokenRecord } from '../../storage/ports.js';
import { activeUser } from '../users/active-user.js';
import type { CallFacts, OAuthDeps } from './context.js';
import { isActive } from './introspection.js';
import { invalidDPoPProof, invalidRequest } from './oauth-error.js';
import { signatureStands } from './signed-by.js';

/** RFC 8693 §3: the token type of an OAuth access token, the one type a token exchange takes. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/**
 * Keyhold's own token type (RFC 8693 §3 lets an authorization server define one): a Connect token
 * (an ES256 JWT for one Connect server, src/domain/connect/token-service.ts), the Connect bridge.
 */
export const CONNECT_TOKEN_TYPE = 'urn:keyhold:params:oauth:token-type:connect';
/** How deep `act` claims nest: a chain of delegations longer than this is refused. */
export const MAX_ACTOR_DEPTH = 5;

/** The user's access token a token exchange starts from: active, of a user's grant. */
export type SubjectToken = OAuthTokenRecord & { userId: string; grantId: string };

/**
 * The `subject_token` of a token exchange, checked: an access token of this account (RFC 8693
 * §2.1), active (not revoked, expired or rotated away; signed by a key not withdrawn; its user
 * enabled), issued to this client under a user's grant, and — when DPoP-bound — presented with a
 * proof signed by its key. Any other token is refused with the same words, so a client learns
 * nothing about tokens that are not its own. RFC 8693 §2.2.2: a token that is not valid is
 * `invalid_request`.
 */
export async function subjectToken(
  deps: Pick<OAuthDeps, 'storage' | 'keys'>,
  client: ClientRecord,
  facts: Pick<CallFacts, 'form'>,
  jkt: string | null,
): Promise<SubjectToken> {
  const record = await presentedToken(deps, client.accountId, facts.form, 'subject', jkt);
  if (record.clientId !== client.id || record.userId === null || record.grantId === null) {
    throw refused('subject');
  }
  return record as SubjectToken;
}

/**
 * The `actor` of a delegation (RFC 8693 §1.1): the `actor_token`, when given, is any active access
 * token of this account (the acting party's, a user's or a client's own), presented as
 * `subject_token` is; the issued token's `act` names it, with the subject token's own `act`
 * (earlier actors) nested inside (§4.1). Without an actor token the subject's `act` carries over.
 */
export async function actorClaim(
  deps: Pick<OAuthDeps, 'storage' | 'keys'>,
  accountId: string,
  facts: Pick<CallFacts, 'form'>,
  jkt: string | null,
  subject: SubjectToken,
): Promise<ActorClaim | undefined> {
  if (!facts.form.has('actor_token')) {
    if (facts.form.has('actor_token_type')) {
      throw invalidRequest('actor_token_type is given without actor_token');
    }
    return subject.act;
  }
  const actor = await presentedToken(deps, accountId, facts.form, 'actor', jkt);
  const claim: ActorClaim = {
    sub: actor.userId ?? actor.clientId,
    client_id: actor.clientId,
    ...(subject.act === undefined ? {} : { act: subject.act }),
  };
  if (depth(claim) > MAX_ACTOR_DEPTH) {
    throw invalidRequest(`the delegation chain would be more than ${MAX_ACTOR_DEPTH} actors deep`);
  }
  return claim;
}

const depth = (claim: ActorClaim | undefined): number => (claim === undefined ? 0 : 1 + depth(claim.act));

/** The seconds a token may live that must not outlive `subject`; at least 1 (it is active). */
export function secondsLeft(subject: Pick<OAuthTokenRecord, 'expiresAt'>): number {
  return Math.max(1, Math.floor((Date.parse(subject.expiresAt) - Date.now()) / 1000));
}

async function presentedToken(
  deps: Pick<OAuthDeps, 'storage' | 'keys'>,
  accountId: string,
  form: URLSearchParams,
  role: 'subject' | 'actor',
  jkt: string | null,
): Promise<OAuthTokenRecord> {
  const token = form.get(`${role}_token`);
  const type = form.get(`${role}_token_type`);
  if (!token) throw invalidRequest(`${role}_token is missing`);
  if (type === null) throw invalidRequest(`${role}_token_type is missing: give ${ACCESS_TOKEN_TYPE}`);
  if (type !== ACCESS_TOKEN_TYPE) {
    throw invalidRequest(
      `${role}_token_type ${type} is not supported: this server exchanges access tokens (${ACCESS_TOKEN_TYPE})`,
    );
  }
  const record = await deps.storage.oauthTokens.findByHash(hashSecret(token));
  const valid =
    record !== undefined &&
    record.kind === 'access' &&
    record.accountId === accountId &&
    isActive(record) &&
    (await signatureStands(deps.keys, token)) &&
    (record.userId === null || (await activeUser(deps.storage, accountId, record.userId)).active);
  if (!valid) throw refused(role);
  // A bound token is of no use without its key (RFC 9449 §7.1): not even to exchange it.
  if (record.jkt !== null) {
    if (jkt === null) {
      throw invalidDPoPProof(`the ${role}_token is DPoP-bound: send a DPoP proof signed by its key`);
    }
    if (jkt !== record.jkt) {
      throw invalidRequest(
        `the ${role}_token is bound to another DPoP key than the one that signed this proof`,
      );
    }
  }
  return record;
}

const refused = (role: 'subject' | 'actor') =>
  invalidRequest(
    role === 'subject'
      ? 'the subject_token is not an active access token issued to this client for a user'
      : 'the actor_token is not an active access token of this account',
  );
