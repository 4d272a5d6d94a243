import type { Kysely, Migration } from 'kysely';

/**
 * Bounded audit growth: `count` lets one row stand for many refusals from one source (a summary,
 * domain/audit/refusal-summaries.ts), and retention deletes the oldest events of one result at a
 * time, which the (result, occurred_at) index finds without scanning the table.
 */
export const auditRetention: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('audit_events')
      .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema
      .createIndex('audit_result_occurred')
      .on('audit_events')
      .columns(['result', 'occurred_at'])
      .execute();
  },
};
