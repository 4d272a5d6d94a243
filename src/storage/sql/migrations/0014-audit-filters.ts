import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Indexes for reading the trail narrowed (GET /api/admin/audit's filters). A filtered read is
 * still newest first within one account, so each index leads with `account_id` and ends with
 * `seq`: a page of an actor's, or a resource's, events is read in order and stops at `limit`
 * without visiting the rest of the trail. A resource id is matched in any of three columns, one
 * index each; those are partial (most events leave one or two of the columns null), which keeps
 * them smaller and spares the audited write path an index entry per null. A time range is read
 * from (account_id, occurred_at).
 *
 * Action, result and resource type are a handful of values each: they narrow the rows one of
 * the indexes above (or the (account_id, seq) one) finds, and have no index of their own.
 *
 * Every audited request pays for these at write time: a commit writes one index page per
 * distinct actor, vault and item among its events, where the table alone appends to a few. The
 * time index is nearly free (occurred_at grows with seq); the item index costs most, since hot
 * reads spread over many items. The measured cost is in the commit that added this migration.
 */
export const auditFilters: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('audit_account_actor_seq')
      .on('audit_events')
      .columns(['account_id', 'actor_id', 'seq'])
      .execute();
    for (const column of ['resource_id', 'vault_id', 'item_id'] as const) {
      await db.schema
        .createIndex(`audit_account_${column}_seq`)
        .on('audit_events')
        .columns(['account_id', column, 'seq'])
        .where(sql.ref(column), 'is not', null)
        .execute();
    }
    await db.schema
      .createIndex('audit_account_occurred')
      .on('audit_events')
      .columns(['account_id', 'occurred_at'])
      .execute();
  },
};
