import type { OAuthGrantLink, Stores } from '../../storage/ports.js';

/**
 * Revokes the Connect tokens exchanged under the linked OAuth grants (the Connect bridge of
 * token exchange, grant-token-exchange.ts), in the caller's transaction, before the grants are
 * deleted or changed. Every way a grant ends calls it: a revocation (grant-service.ts
 * `deleteGrant`: the admin API, the connected-apps page, the client's grant management call), a
 * consent that removes scopes, refresh-token reuse, a user's disable, enable, password change or
 * reset and deletion (end-sign-ins.ts, user-service.ts), a client's deletion. Each goes through
 * the Connect token store's own `revoke`, so the change reaches standalone Connect nodes as an
 * administrator's revocation does. The grant's or user's own audit event records why; a token is
 * revoked once (a concurrent revocation that got there first wins, and this one skips it).
 */
export async function revokeExchangedConnectTokens(
  tx: Pick<Stores, 'connectTokens'>,
  link: OAuthGrantLink,
): Promise<number> {
  const now = new Date().toISOString();
  let revoked = 0;
  for (const id of await tx.connectTokens.exchangedUnder(link, now)) {
    if (await tx.connectTokens.revoke(link.accountId, id, now)) revoked++;
  }
  return revoked;
}
