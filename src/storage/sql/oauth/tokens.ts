import type { Kysely } from 'kysely';
import type { ActorClaim, OAuthTokenRecord, OAuthTokenStore, TokenKind } from '../../ports/oauth.js';
import { precompiled, precompiledInsert, type RunIfFree } from '../precompiled.js';
import type { Database } from '../tables.js';
import { detailsColumn, detailsOf } from './authorization-details.js';

export const TOKEN_COLUMNS = [
  'id',
  'token_hash',
  'kind',
  'account_id',
  'client_id',
  'user_id',
  'grant_id',
  'code_id',
  'resource',
  'scopes',
  'created_at',
  'expires_at',
  'revoked_at',
  'rotated_at',
  'jkt',
  'act',
  'authorization_details',
] as const;

/** A token's row as the insert takes it, keyed by column. */
function tokenRow(t: OAuthTokenRecord): Record<(typeof TOKEN_COLUMNS)[number], unknown> {
  return {
    id: t.id,
    token_hash: t.tokenHash,
    kind: t.kind,
    account_id: t.accountId,
    client_id: t.clientId,
    user_id: t.userId,
    grant_id: t.grantId,
    code_id: t.codeId,
    resource: t.resource,
    scopes: JSON.stringify(t.scopes),
    created_at: t.createdAt,
    expires_at: t.expiresAt,
    revoked_at: t.revokedAt,
    rotated_at: t.rotatedAt,
    jkt: t.jkt,
    act: t.act === undefined ? null : JSON.stringify(t.act),
    authorization_details: detailsColumn(t.authorizationDetails),
  };
}

/** A token's row as its values in TOKEN_COLUMNS order, for a writer that inserts them itself. */
export function toTokenValues(t: OAuthTokenRecord): unknown[] {
  const row = tokenRow(t);
  return TOKEN_COLUMNS.map((c) => row[c]);
}

/** `runIfFree`: for the store of `db` itself, not of a transaction (see precompiled.ts). */
export function oauthTokenStore(db: Kysely<Database>, runIfFree?: RunIfFree): OAuthTokenStore {
  const revokeWhere = (column: 'id' | 'grant_id' | 'code_id', value: string, at: string) =>
    db
      .updateTable('oauth_tokens')
      .set({ revoked_at: at })
      .where(column, '=', value)
      .where('revoked_at', 'is', null)
      .execute();
  // Every token issuance runs it: compiled once (see precompiled.ts).
  const insert = precompiledInsert(db, 'oauth_tokens', TOKEN_COLUMNS);
  // Every introspection (and every use of a token at the vault API) runs it: compiled once, and
  // run without Kysely's executor when the connection is free (see precompiled.ts).
  const byHash = precompiled<'tokenHash', Database['oauth_tokens']>(
    db,
    (p) => db.selectFrom('oauth_tokens').selectAll().where('token_hash', '=', p('tokenHash')),
    runIfFree,
  );
  return {
    async insert(t) {
      await insert(tokenRow(t));
    },
    async findByHash(tokenHash) {
      const r = await byHash.first({ tokenHash });
      if (!r) return undefined;
      const record: OAuthTokenRecord = {
        id: r.id,
        tokenHash: r.token_hash,
        kind: r.kind as TokenKind,
        accountId: r.account_id,
        clientId: r.client_id,
        userId: r.user_id,
        grantId: r.grant_id,
        codeId: r.code_id,
        resource: r.resource,
        scopes: JSON.parse(r.scopes) as string[],
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        revokedAt: r.revoked_at,
        rotatedAt: r.rotated_at,
        jkt: r.jkt,
        ...(r.act === null ? {} : { act: JSON.parse(r.act) as ActorClaim }),
        ...detailsOf(r.authorization_details),
      };
      return record;
    },
    async rotate(id, at) {
      const result = await db
        .updateTable('oauth_tokens')
        .set({ rotated_at: at })
        .where('id', '=', id)
        .where('rotated_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async revoke(id, at) {
      await revokeWhere('id', id, at);
    },
    async revokeByCode(codeId, at) {
      await revokeWhere('code_id', codeId, at);
    },
    async purgeExpired(before) {
      const result = await db.deleteFrom('oauth_tokens').where('expires_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async lastIssuedByGrant(grantIds) {
      if (grantIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('oauth_tokens')
        .select(['grant_id', (eb) => eb.fn.max('created_at').as('last')])
        .where('grant_id', 'in', [...grantIds])
        .groupBy('grant_id')
        .execute();
      return new Map(
        rows.flatMap((r) => (r.grant_id === null || r.last === null ? [] : [[r.grant_id, String(r.last)]])),
      );
    },
    async revokeByGrant(grantId, at) {
      await revokeWhere('grant_id', grantId, at);
    },
    async revokeGrantless(clientId, at) {
      await db
        .updateTable('oauth_tokens')
        .set({ revoked_at: at })
        .where('client_id', '=', clientId)
        .where('grant_id', 'is', null)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async narrowByGrant(grantId, scopes, at) {
      const live = await db
        .selectFrom('oauth_tokens')
        .select(['id', 'scopes'])
        .where('grant_id', '=', grantId)
        .where('revoked_at', 'is', null)
        .where('rotated_at', 'is', null)
        .execute();
      const keep = new Set(scopes);
      let changed = 0;
      for (const token of live) {
        const had = JSON.parse(token.scopes) as string[];
        const kept = had.filter((s) => keep.has(s));
        if (kept.length === had.length) continue;
        changed += 1;
        await db
          .updateTable('oauth_tokens')
          .set(kept.length === 0 ? { revoked_at: at } : { scopes: JSON.stringify(kept) })
          .where('id', '=', token.id)
          .execute();
      }
      return changed;
    },
  };
}
