import type { Kysely, Migration } from 'kysely';

/**
 * The index for reading the trail narrowed (GET /api/admin/audit's filters), the one the audited
 * write path barely pays for: every secret read appends an event, audit queries are rare admin
 * reads, so an index must earn its place on the write side.
 *
 * (account_id, occurred_at): occurred_at grows with seq, so appends touch only its last page. A
 * time filter reads from it the seqs that bound its walk of the trail.
 *
 * Actor, resource id, vault id and item id have none: each would take an index page per distinct
 * actor, vault or item in every commit of read events (the resource filter matches all three id
 * columns, so an index on one alone would not spare it the walk). A filter on them reads the account's trail newest first
 * by (account_id, seq) and stops once `limit` events matched: a recent page stays quick, a rare
 * actor or an old vault's events cost a longer walk. Action, result and resource type are a
 * handful of values each and only narrow what another index, or that walk, finds.
 */
export const auditFilters: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('audit_account_occurred')
      .on('audit_events')
      .columns(['account_id', 'occurred_at'])
      .execute();
  },
};
