import type { Kysely } from 'kysely';
import type { ActorDirectory } from '../ports.js';
import type { Database } from './tables.js';

/**
 * Ids per query: a page of audit events holds at most 1000, well under every backend's limit of
 * bound parameters, but a caller handing more is split rather than refused.
 */
const CHUNK = 500;

/** Runs `lookup` over `ids` (deduplicated) in chunks; an empty list costs no query. */
async function inChunks<T>(ids: readonly string[], lookup: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const unique = [...new Set(ids)];
  const found: T[] = [];
  for (let i = 0; i < unique.length; i += CHUNK) found.push(...(await lookup(unique.slice(i, i + CHUNK))));
  return found;
}

/** Every lookup is scoped by `account_id`, so another account's actor is never named. */
export function actorDirectory(db: Kysely<Database>): ActorDirectory {
  return {
    users: (accountId, ids) =>
      inChunks(ids, (chunk) =>
        db
          .selectFrom('users')
          .select(['id', 'email'])
          .where('account_id', '=', accountId)
          .where('id', 'in', chunk)
          .execute(),
      ),
    adminTokens: (accountId, ids) =>
      inChunks(ids, (chunk) =>
        db
          .selectFrom('admin_tokens')
          .select(['id', 'name', 'role'])
          .where('account_id', '=', accountId)
          .where('id', 'in', chunk)
          .execute(),
      ),
    connectTokens: (accountId, ids) =>
      inChunks(ids, (chunk) =>
        db
          .selectFrom('connect_tokens as t')
          .innerJoin('connect_servers as s', 's.id', 't.server_id')
          .select(['t.id as id', 't.name as name', 's.name as serverName'])
          .where('t.account_id', '=', accountId)
          .where('s.account_id', '=', accountId)
          .where('t.id', 'in', chunk)
          .execute(),
      ),
    oauthClients: (accountId, ids) =>
      inChunks(ids, (chunk) =>
        db
          .selectFrom('oauth_clients')
          .select(['id', 'name'])
          .where('account_id', '=', accountId)
          .where('id', 'in', chunk)
          .execute(),
      ),
    oauthTokens: (accountId, ids) =>
      inChunks(ids, (chunk) =>
        db
          .selectFrom('oauth_tokens as t')
          .innerJoin('oauth_clients as c', 'c.id', 't.client_id')
          .select(['t.id as id', 'c.name as clientName'])
          .where('t.account_id', '=', accountId)
          .where('c.account_id', '=', accountId)
          .where('t.id', 'in', chunk)
          .execute(),
      ),
  };
}
