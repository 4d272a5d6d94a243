import { type Kysely, type Migration, sql } from 'kysely';
import { newLogEpoch } from '../node-state.js';

/**
 * What standalone Connect nodes need centrally (connect-server/wire/replica-protocol.ts):
 *
 * - `connect_servers.public_key`: the public half of the server's key pair (a JWK as JSON text),
 *   to which vault keys are wrapped for its node. Null for a server made before this migration:
 *   its credentials file has no private half, and a new file must be made for it.
 * - `replica_log`: one row, the change log's `epoch` (random; a restored database gets a new
 *   one) and `value`, the last sequence number given. The row is updated as the last statement of
 *   a writing transaction and stays locked until it commits, so committed changes get
 *   consecutive numbers in commit order; `pruned_through` is the highest number already pruned.
 * - `replica_changes`: what each change touched (`kind` and the ids it names), by sequence
 *   number; what a node is sent for it is read when it is sent.
 * - `connect_node_outboxes`: per server and node outbox, the highest audit event already stored
 *   from it, so a shipment sent twice is stored once.
 */
export const connectReplicas: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('connect_servers').addColumn('public_key', 'text').execute();
    await db.schema
      .createTable('replica_log')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('epoch', 'text', (c) => c.notNull())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .addColumn('pruned_through', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into replica_log (id, epoch, value, pruned_through) values (1, ${newLogEpoch()}, 0, 0)`.execute(
      db,
    );
    await db.schema
      .createTable('replica_changes')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('vault_id', 'text')
      .addColumn('item_id', 'text')
      .addColumn('server_id', 'text')
      .addColumn('subject_id', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('replica_changes_account_seq')
      .on('replica_changes')
      .columns(['account_id', 'seq'])
      .execute();
    await db.schema
      .createTable('connect_node_outboxes')
      .addColumn('server_id', 'text', (c) => c.notNull().references('connect_servers.id').onDelete('cascade'))
      .addColumn('outbox_id', 'text', (c) => c.notNull())
      .addColumn('through', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('connect_node_outboxes_pk', ['server_id', 'outbox_id'])
      .execute();
  },
};
