/**
 * The program of the audit writer thread (see audit-writer.ts), as source text. A string rather
 * than a module file because a worker thread loads its file with plain Node: from dist/ that
 * would work, but from src/ under vitest the file is TypeScript that only vitest can load. The
 * program is small and takes everything it needs from `workerData`:
 *
 * - `driver`: the resolved path of better-sqlite3, `file`: the database file, `table`: the table
 *   the events go to, `columns`: the audit_events columns every row fills, in order.
 *
 * Messages in: `{ id, rows, discard?, units? }` (each row its values in `columns` order; `discard`:
 * delete the rows with `seq` up to it, in the same commit; `units`: writes that land together or
 * not at all, each `{ inserts: [{ table, columns, rows }], events }` with `events` rows of `table`,
 * inserted after the batch's own rows) or `{ close: true }`.
 * Messages out: `{ ids, firsts, failedUnits?, error? }` once the rows of those batches are
 * committed (`firsts`: each batch's first rowid; its rows have the ones after it) (durably: the
 * connection runs synchronous=FULL) or failed together. A unit runs in a savepoint of its own: one
 * that fails (a foreign key its rows name is gone) is rolled back alone and named in
 * `failedUnits` (`[batch id, unit index, message]`), the rest commit. Batches that arrive
 * while a commit is running share the next commit, as group commit did on the main thread.
 */
export const AUDIT_THREAD_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);

const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
// A unit's rows reference others (an issued token its client): refused if those are gone.
db.pragma('foreign_keys = ON');

const { columns, table } = workerData;
const insert = db.prepare(
  'insert into "' + table + '" (' + columns.map((c) => '"' + c + '"').join(', ') + ') values (' +
    columns.map(() => '?').join(', ') + ')',
);
let discard;
const inserts = new Map();
const insertInto = (table, cols) => {
  const key = table + '(' + cols.join(',') + ')';
  let statement = inserts.get(key);
  if (!statement) {
    statement = db.prepare(
      'insert into "' + table + '" (' + cols.map((c) => '"' + c + '"').join(', ') + ') values (' +
        cols.map(() => '?').join(', ') + ')',
    );
    inserts.set(key, statement);
  }
  return statement;
};
// Called inside commit's transaction, better-sqlite3 runs it as a savepoint, rolled back if it throws.
const runUnit = db.transaction((unit) => {
  for (const group of unit.inserts) {
    const statement = insertInto(group.table, group.columns);
    for (const values of group.rows) statement.run(values);
  }
  for (const values of unit.events) insert.run(values);
});
const commit = db.transaction((batches) => {
  let through = 0;
  const firsts = [];
  const failedUnits = [];
  for (const batch of batches) {
    let first = 0;
    for (const values of batch.rows) {
      const rowid = Number(insert.run(values).lastInsertRowid);
      if (first === 0) first = rowid;
    }
    firsts.push(first);
    if (batch.discard > through) through = batch.discard;
    for (const [u, unit] of (batch.units || []).entries()) {
      try {
        runUnit(unit);
      } catch (error) {
        failedUnits.push([batch.id, u, String((error && error.message) || error)]);
      }
    }
  }
  if (through > 0) {
    discard ??= db.prepare('delete from "' + table + '" where seq <= ?');
    discard.run(through);
  }
  return { firsts, failedUnits };
});

let pending = [];
let scheduled = false;
let closing = false;

function flush() {
  scheduled = false;
  const batches = pending;
  pending = [];
  if (batches.length > 0) {
    const ids = batches.map((b) => b.id);
    try {
      const { firsts, failedUnits } = commit(batches);
      parentPort.postMessage({ ids, firsts, ...(failedUnits.length > 0 ? { failedUnits } : {}) });
    } catch (error) {
      parentPort.postMessage({ ids, error: String((error && error.message) || error) });
    }
  }
  if (closing) {
    db.close();
    parentPort.close();
  }
}

parentPort.on('message', (message) => {
  if (message.close) closing = true;
  else pending.push(message);
  // After this turn: every batch already waiting in the port joins the same commit.
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
`;
