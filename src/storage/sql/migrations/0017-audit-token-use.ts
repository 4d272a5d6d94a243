import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The index behind a token's last use (`AuditStore.newestByTokens`, shown beside each Connect
 * token in the admin API and the console): (token_id, occurred_at), on the events made with a
 * token only. Each token's newest event is then one step down the index from its end, however
 * long its trail, instead of a walk of the account's whole trail for a token used long ago (or
 * never).
 *
 * What it costs the audited write path (see 0014's note): an event appends to the end of its
 * token's range, so a commit of read events touches one index page per distinct token in it;
 * events without a token (people's sessions, the system) are not in it at all.
 */
export const auditTokenUse: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('audit_token_occurred')
      .on('audit_events')
      .columns(['token_id', 'occurred_at'])
      .where(sql.ref('token_id'), 'is not', null)
      .execute();
  },
};
