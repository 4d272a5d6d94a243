import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The index behind a Connect token's last use (`AuditStore.newestConnectTokenUses`, shown beside
 * each token in the admin API and the console): (token_id, occurred_at), on the events of Connect
 * tokens only. Each token's newest event is then one step down the index from its end, however
 * long its trail, instead of a walk of the account's whole trail for a token used long ago or
 * never (measured on 300,000 events and 100 tokens: ~1-13 ms instead of 0.75-27 s).
 *
 * What it costs (see 0014's note): every event of a Connect token goes into the middle of this
 * index, at its token's end, instead of being appended at one edge as the other indexes are.
 * `bench/audit-index-cost.mjs` (read events of 20 Connect tokens, commits of 64): 70.4 WAL pages
 * per commit with it against 20.9 without (3.4x, about what 0014 refused an actor index for).
 * Events of people, admin tokens, OAuth tokens and the system are not in it. See
 * docs/performance.md for the figures and the cheaper design left open.
 */
export const auditTokenUse: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('audit_token_occurred')
      .on('audit_events')
      .columns(['token_id', 'occurred_at'])
      .where(sql.ref('actor_type'), '=', sql.lit('connect_token'))
      .execute();
  },
};
