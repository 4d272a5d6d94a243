import type { Stores } from '../../storage/ports.js';
import type { RequestContext } from '../context.js';

/** Who an admin API caller is, as `keyhold whoami` shows it. Never a secret. */
export interface WhoAmI {
  accountId: string;
  /** The admin token, or the CLI sign-in (its grant), the request came with. */
  tokenId: string | null;
  operator: boolean;
  kind: 'admin_token' | 'user' | 'other';
  role: string | null;
  /** A signed-in user (`keyhold login`). */
  user?: { id: string; email: string; name: string | null };
  /** An admin token. */
  token?: { id: string; name: string };
}

export async function whoami(
  stores: Pick<Stores, 'users' | 'adminTokens'>,
  ctx: RequestContext,
): Promise<WhoAmI> {
  const { actor, principal } = ctx;
  // The operator flag is the principal's: the caller's account is the operator account.
  const operator = (principal.kind === 'user' || principal.kind === 'admin_token') && principal.operator;
  const base = { accountId: actor.accountId, tokenId: actor.tokenId, operator };
  if (principal.kind === 'user') {
    const user = await stores.users.get(principal.accountId, principal.userId);
    return {
      ...base,
      kind: 'user',
      role: principal.role,
      ...(user ? { user: { id: user.id, email: user.email, name: user.name } } : {}),
    };
  }
  if (principal.kind === 'admin_token') {
    const token = await stores.adminTokens.get(principal.accountId, principal.tokenId);
    return {
      ...base,
      kind: 'admin_token',
      role: principal.role,
      ...(token ? { token: { id: token.id, name: token.name } } : {}),
    };
  }
  return { ...base, kind: 'other', role: null };
}
