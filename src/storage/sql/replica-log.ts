import type { Kysely } from 'kysely';
import type {
  NodeOutboxStore,
  ReplicaChange,
  ReplicaChangeKind,
  ReplicaChangeNote,
  ReplicaLogStore,
} from '../ports.js';
import { precompiled, precompiledInsert, type RunIfFree } from './precompiled.js';
import type { Database } from './tables.js';

type Row = Database['replica_changes'];

const toChange = (r: Row): ReplicaChange => ({
  seq: Number(r.seq),
  accountId: r.account_id,
  kind: r.kind as ReplicaChangeKind,
  vaultId: r.vault_id,
  itemId: r.item_id,
  serverId: r.server_id,
  subjectId: r.subject_id,
  at: r.at,
});

const key = (n: ReplicaChangeNote) =>
  [n.kind, n.accountId, n.vaultId, n.itemId, n.serverId, n.subjectId, n.fill].map((v) => v ?? '').join('|');

/** What appending changes takes: the ids a note lacks, then the log's seqs and rows. */
function replicaWrites(db: Kysely<Database>, runIfFree?: RunIfFree) {
  // Every replicated write (each item write among them) runs these: compiled once per set of
  // stores (see precompiled.ts).
  const bump = precompiled<'n', { value: number }>(
    db,
    (p) =>
      db
        .updateTable('replica_log')
        .set((eb) => ({ value: eb('value', '+', p('n')) }))
        .where('id', '=', 1)
        .returning('value'),
    runIfFree,
    'replica_log: bump',
  );
  const insertOne = precompiledInsert(
    db,
    'replica_changes',
    ['account_id', 'kind', 'vault_id', 'item_id', 'server_id', 'subject_id', 'seq', 'at'],
    runIfFree,
  );
  /** The note with the ids it lacks filled in, or undefined when the row they come from is gone. */
  const resolve = async (n: ReplicaChangeNote): Promise<Omit<Row, 'seq' | 'at'> | undefined> => {
    let { accountId, vaultId, itemId, serverId } = n;
    switch (n.fill) {
      case 'vault': {
        const row = await db
          .selectFrom('vaults')
          .select('account_id')
          .where('id', '=', vaultId ?? '')
          .executeTakeFirst();
        if (!row) return undefined;
        accountId = row.account_id;
        break;
      }
      case 'item': {
        const row = await db
          .selectFrom('items')
          .select(['vault_id', 'account_id'])
          .where('id', '=', itemId ?? '')
          .executeTakeFirst();
        if (!row) return undefined;
        vaultId = row.vault_id;
        accountId = row.account_id;
        break;
      }
      case 'file': {
        const row = await db
          .selectFrom('files')
          .innerJoin('vaults', 'vaults.id', 'files.vault_id')
          .select(['files.item_id', 'files.vault_id', 'vaults.account_id'])
          .where('files.id', '=', n.subjectId ?? '')
          .executeTakeFirst();
        if (!row) return undefined;
        itemId = row.item_id;
        vaultId = row.vault_id;
        accountId = row.account_id;
        break;
      }
      case 'server': {
        const row = await db
          .selectFrom('connect_servers')
          .select('account_id')
          .where('id', '=', serverId ?? '')
          .executeTakeFirst();
        if (!row) return undefined;
        accountId = row.account_id;
        break;
      }
      case 'token': {
        const row = await db
          .selectFrom('connect_tokens')
          .select(['server_id', 'account_id'])
          .where('id', '=', n.subjectId ?? '')
          .executeTakeFirst();
        if (!row) return undefined;
        serverId = row.server_id;
        accountId = row.account_id;
        break;
      }
      default:
        break;
    }
    if (!accountId) return undefined;
    return {
      account_id: accountId,
      kind: n.kind,
      vault_id: vaultId ?? null,
      item_id: itemId ?? null,
      server_id: serverId ?? null,
      // A file's id named only where to fill from: the change is its item's.
      subject_id: n.fill === 'file' ? null : (n.subjectId ?? null),
    };
  };

  /** `notes` as rows, ids filled in, each change once; a note whose row is gone is left out. */
  const rowsOf = async (notes: readonly ReplicaChangeNote[]): Promise<Omit<Row, 'seq' | 'at'>[]> => {
    const seen = new Set<string>();
    const rows: Omit<Row, 'seq' | 'at'>[] = [];
    const asked = new Set<string>();
    for (const note of notes) {
      const n = key(note);
      if (asked.has(n)) continue;
      asked.add(n);
      const row = await resolve(note);
      if (!row) continue;
      const k = [row.kind, row.account_id, row.vault_id, row.item_id, row.server_id, row.subject_id].join(
        '|',
      );
      if (seen.has(k)) continue;
      seen.add(k);
      rows.push(row);
    }
    return rows;
  };

  /** Numbers `rows` with the log's next seqs, in order, and inserts them. */
  const write = async (rows: readonly Omit<Row, 'seq'>[]): Promise<number> => {
    if (rows.length === 0) return 0;
    // The log's row stays locked until the transaction ends: seqs are consecutive in commit order.
    const bumped = await bump.first({ n: rows.length });
    if (!bumped) throw new Error('replica_log has no row 1: changes cannot be recorded');
    const first = Number(bumped.value) - rows.length + 1;
    const [only] = rows;
    if (only && rows.length === 1) await insertOne({ ...only, seq: first });
    else if (runIfFree) {
      // Run at once (a group-commit batch): one prepared insert per row costs less than building
      // a multi-row statement of a new shape each batch.
      for (let i = 0; i < rows.length; i++) await insertOne({ ...(rows[i] as Row), seq: first + i });
    } else
      await db
        .insertInto('replica_changes')
        .values(rows.map((r, i) => ({ ...r, seq: first + i })))
        .execute();
    return rows.length;
  };

  return { rowsOf, write };
}

export function replicaLogStore(db: Kysely<Database>, runIfFree?: RunIfFree): ReplicaLogStore {
  const { rowsOf, write } = replicaWrites(db, runIfFree);
  return {
    async position() {
      const row = await db
        .selectFrom('replica_log')
        .select(['epoch', 'value', 'pruned_through'])
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      return { epoch: row.epoch, seq: Number(row.value), prunedThrough: Number(row.pruned_through) };
    },
    async changesAfter(accountId, after, limit) {
      const rows = await db
        .selectFrom('replica_changes')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(toChange);
    },
    async since(after, limit) {
      const rows = await db
        .selectFrom('replica_changes')
        .selectAll()
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(toChange);
    },
    async prune(before) {
      // One unit: a reader never sees the rows gone with `pruned_through` not yet moved past them.
      return db.transaction().execute(async (trx) => {
        const top = await trx
          .selectFrom('replica_changes')
          .select((eb) => eb.fn.max('seq').as('seq'))
          .where('at', '<', before)
          .executeTakeFirst();
        const through = top?.seq == null ? undefined : Number(top.seq);
        if (through === undefined) return 0;
        await trx
          .updateTable('replica_log')
          .set({ pruned_through: through })
          .where('id', '=', 1)
          .where('pruned_through', '<', through)
          .execute();
        const deleted = await trx
          .deleteFrom('replica_changes')
          .where('seq', '<=', through)
          .executeTakeFirst();
        return Number(deleted.numDeletedRows);
      });
    },
    async append(notes, at) {
      return write((await rowsOf(notes)).map((r) => ({ ...r, at })));
    },
  };
}

/**
 * The replica log of a group-commit batch (sqlite/group-commit.ts), whose units share one
 * transaction. A unit's `append` fills in its notes' ids at once, in its savepoint (a later unit
 * may delete the row they come from), and queues the rows; `finish`, the batch's last statements
 * before its COMMIT, numbers and inserts every queued row: one bump of the log's row per commit
 * instead of one per unit. Seqs stay consecutive and in commit order, units in the order they ran.
 * A unit rolled back to its savepoint takes its rows out of the queue (`rollbackTo`).
 */
export function batchedReplicaLog(db: Kysely<Database>, runHeld: RunIfFree) {
  const store = replicaLogStore(db, runHeld);
  const { rowsOf, write } = replicaWrites(db, runHeld);
  let queued: Omit<Row, 'seq'>[] = [];
  return {
    store: {
      ...store,
      async append(notes: readonly ReplicaChangeNote[], at: string) {
        const rows = await rowsOf(notes);
        for (const r of rows) queued.push({ ...r, at });
        return rows.length;
      },
    } satisfies ReplicaLogStore,
    /** Where the queue stands: taken before a unit runs. */
    mark: () => queued.length,
    /** Forgets the rows queued since `mark` (the unit that queued them was rolled back). */
    rollbackTo: (mark: number) => {
      queued.length = mark;
    },
    /** Writes the queued rows; the queue starts over. */
    finish: async () => {
      const rows = queued;
      queued = [];
      await write(rows);
    },
  };
}

export function nodeOutboxStore(db: Kysely<Database>): NodeOutboxStore {
  return {
    async through(serverId, outboxId) {
      const row = await db
        .selectFrom('connect_node_outboxes')
        .select('through')
        .where('server_id', '=', serverId)
        .where('outbox_id', '=', outboxId)
        .executeTakeFirst();
      return row ? Number(row.through) : 0;
    },
    async advance(serverId, outboxId, from, to) {
      if (from === 0) {
        const inserted = await db
          .insertInto('connect_node_outboxes')
          .values({ server_id: serverId, outbox_id: outboxId, through: to })
          .onConflict((oc) => oc.columns(['server_id', 'outbox_id']).doNothing())
          .returning('through')
          .executeTakeFirst();
        if (inserted) return true;
      }
      const moved = await db
        .updateTable('connect_node_outboxes')
        .set({ through: to })
        .where('server_id', '=', serverId)
        .where('outbox_id', '=', outboxId)
        .where('through', '=', from)
        .executeTakeFirst();
      return moved.numUpdatedRows > 0n;
    },
  };
}
