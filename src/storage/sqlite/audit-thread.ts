/**
 * The program of the audit writer thread (see audit-writer.ts), as source text. A string rather
 * than a module file because a worker thread loads its file with plain Node: from dist/ that
 * would work, but from src/ under vitest the file is TypeScript that only vitest can load. The
 * program is small and takes everything it needs from `workerData`:
 *
 * - `driver`: the resolved path of better-sqlite3, `file`: the database file, `table`: the table
 *   the events go to, `columns`: the audit_events columns every row fills, in order.
 *
 * Messages in: `{ id, rows, discard? }` (each row its values in `columns` order; `discard`: delete
 * the rows with `seq` up to it, in the same commit) or `{ close: true }`.
 * Messages out: `{ ids, firsts, error? }` once the rows of those batches are committed (`firsts`:
 * each batch's first rowid; its rows have the ones after it) (durably: the
 * connection runs synchronous=FULL) or failed together. Batches that arrive while a commit is
 * running share the next commit, as group commit did on the main thread.
 */
export const AUDIT_THREAD_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);

const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');

const { columns, table } = workerData;
const insert = db.prepare(
  'insert into "' + table + '" (' + columns.map((c) => '"' + c + '"').join(', ') + ') values (' +
    columns.map(() => '?').join(', ') + ')',
);
let discard;
const commit = db.transaction((batches) => {
  let through = 0;
  const firsts = [];
  for (const batch of batches) {
    let first = 0;
    for (const values of batch.rows) {
      const rowid = Number(insert.run(values).lastInsertRowid);
      if (first === 0) first = rowid;
    }
    firsts.push(first);
    if (batch.discard > through) through = batch.discard;
  }
  if (through > 0) {
    discard ??= db.prepare('delete from "' + table + '" where seq <= ?');
    discard.run(through);
  }
  return firsts;
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
      const firsts = commit(batches);
      parentPort.postMessage({ ids, firsts });
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
