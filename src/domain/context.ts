import type { Principal } from './access/principal.js';
import { systemPrincipal } from './access/principals.js';

/**
 * Who is acting and through which request. Every service call that reads a secret or changes
 * anything takes one, because every such call writes an audit event.
 */
export type ActorType = 'admin_token' | 'user' | 'connect_token' | 'oauth_client' | 'oauth_token' | 'system';

export interface Actor {
  type: ActorType;
  /** The acting principal: admin token id, user id, … */
  id: string;
  accountId: string;
  /** The credential used, when it is not the actor itself (a user's session or token). */
  tokenId: string | null;
}

export interface RequestContext {
  actor: Actor;
  /** What the actor may do, resolved once when the request is authenticated. */
  principal: Principal;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Internal work done by the service itself (bootstrap, `keyhold recover`), audited as the
 * system; `via` names the tool in the event (its token id and user agent).
 */
export const systemContext = (
  accountId: string,
  via?: { tokenId: string; userAgent: string },
): RequestContext => ({
  actor: { type: 'system', id: 'system', accountId, tokenId: via?.tokenId ?? null },
  principal: systemPrincipal(accountId),
  requestId: null,
  ip: null,
  userAgent: via?.userAgent ?? null,
});
