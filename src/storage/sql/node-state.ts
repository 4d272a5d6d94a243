import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

/** A new identity for the replica change log (replica_log.epoch). */
export const newLogEpoch = (): string => randomBytes(16).toString('base64url');

/**
 * Puts the tables of NODE_STATE_TABLES (table-order.ts) back to how a new database has them:
 * for a database restored whole from a backup, whose copies of them describe the database it was
 * taken from. The replica change log gets a new epoch, so every Connect node takes the restored
 * state whole instead of resuming at a sequence number that now names other changes.
 */
export async function startNodeStateAfresh(db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('change_counter').set({ value: 0 }).where('id', '=', 1).execute();
    await trx.deleteFrom('replica_changes').execute();
    await trx
      .updateTable('replica_log')
      .set({ epoch: newLogEpoch(), value: 0, pruned_through: 0 })
      .where('id', '=', 1)
      .execute();
  });
}
