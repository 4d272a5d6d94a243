import { isId } from '../../crypto/ids.js';
import type { GrantRecord, Stores } from '../../storage/ports.js';
import { RedirectableError } from './authorization-request.js';
import { invalidRequest, OAuthError } from './oauth-error.js';

/**
 * `grant_management_action` and `grant_id` of an authorization request (OAuth Grant Management
 * draft §4), in Keyhold's model of one grant per user, client and resource server:
 * - `create`: a fresh grant. The consent page remembers nothing; on approval the user's grant for
 *   this client and resource (if any) ends, with its tokens, and a new one, with a new id, holds
 *   what was approved.
 * - `merge` with `grant_id`: what the user approves is added to that grant; nothing is removed.
 * - `replace` with `grant_id`: the grant holds exactly what the user approves; consent is asked.
 * - neither: the grant for this client and resource is updated as consent always does.
 * A `grant_id` that is not one of this client's grants for the requested resource, or not the
 * signed-in user's, is `invalid_grant_id`.
 */
export const GRANT_MANAGEMENT_ACTIONS = ['create', 'merge', 'replace'] as const;
export type GrantAction = { action: 'create' } | { action: 'merge' | 'replace'; grantId: string } | null;

export const invalidGrantId = (description: string) => new OAuthError('invalid_grant_id', description);

/** The action a request asks for: null for none; an error for a malformed combination. */
export function readGrantAction(query: URLSearchParams): GrantAction | OAuthError {
  const actions = query.getAll('grant_management_action');
  const grantIds = query.getAll('grant_id');
  if (actions.length > 1) return invalidRequest('parameter grant_management_action is repeated');
  if (grantIds.length > 1) return invalidRequest('parameter grant_id is repeated');
  const action = actions[0];
  const grantId = grantIds[0];
  if (action === undefined) {
    return grantId === undefined
      ? null
      : invalidRequest('grant_id needs grant_management_action merge or replace');
  }
  if (!(GRANT_MANAGEMENT_ACTIONS as readonly string[]).includes(action)) {
    return invalidRequest(
      `grant_management_action ${action} is not supported; use ${GRANT_MANAGEMENT_ACTIONS.join(', ')}`,
    );
  }
  if (action === 'create') {
    return grantId === undefined
      ? { action }
      : invalidRequest('grant_management_action create takes no grant_id: it makes a new grant');
  }
  if (grantId === undefined) return invalidRequest(`grant_management_action ${action} needs grant_id`);
  return { action: action as 'merge' | 'replace', grantId };
}

/**
 * Checks, when the request is made, that the `grant_id` names a grant of this client for the
 * requested resource (the user is not known yet: {@link grantOfAction} checks that at consent).
 */
export async function checkGrantId(
  stores: Pick<Stores, 'grants'>,
  accountId: string,
  clientId: string,
  resource: string,
  action: GrantAction,
): Promise<OAuthError | undefined> {
  if (action === null || action.action === 'create') return undefined;
  const grant = isId(action.grantId) ? await stores.grants.get(accountId, action.grantId) : undefined;
  if (!grant || grant.clientId !== clientId || grant.resource !== resource) {
    return invalidGrantId(`grant_id ${action.grantId} is not a grant of this client for ${resource}`);
  }
  return undefined;
}

/**
 * The grant the consent builds on, for the user's grant `found` (of this client and resource):
 * none for `create`; for `merge` and `replace`, the named grant, which must be `found` (the
 * user's) — else `invalid_grant_id`, at the client's redirect URI.
 */
export function grantOfAction(
  request: { grantAction: GrantAction; redirectUri: string; state: string | null },
  found: GrantRecord | undefined,
): GrantRecord | undefined {
  const action = request.grantAction;
  if (action === null) return found;
  if (action.action === 'create') return undefined;
  if (found?.id !== action.grantId) {
    throw new RedirectableError(
      invalidGrantId(`grant_id ${action.grantId} is not a grant of the signed-in user for this client`),
      request.redirectUri,
      request.state,
    );
  }
  return found;
}

/** The grant's scopes after the user approved `chosen` among `offered` on the page. */
export function scopesAfterConsent(
  action: GrantAction,
  current: string[],
  offered: ReadonlySet<string>,
  chosen: string[],
): string[] {
  if (action?.action === 'replace') return chosen;
  if (action?.action === 'merge') return [...new Set([...current, ...chosen])];
  return [...current.filter((s) => !offered.has(s)), ...chosen];
}
