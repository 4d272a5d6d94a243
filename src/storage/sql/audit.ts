import { type CompiledQuery, type Kysely, type Selectable, type SelectQueryBuilder, sql } from 'kysely';
import type {
  AuditAction,
  AuditEvent,
  AuditEventInput,
  AuditFilter,
  AuditResourceType,
  AuditResult,
  AuditStore,
} from '../ports.js';
import { precompiledInsert, type RunIfFree } from './precompiled.js';
import type { Database } from './tables.js';

/** The audit_events row of an event. */
export const toAuditRow = (e: AuditEventInput) => ({
  occurred_at: e.occurredAt,
  account_id: e.accountId,
  actor_type: e.actorType,
  actor_id: e.actorId,
  token_id: e.tokenId,
  action: e.action,
  resource_type: e.resourceType,
  resource_id: e.resourceId,
  vault_id: e.vaultId,
  item_id: e.itemId,
  item_version: e.itemVersion,
  result: e.result,
  request_id: e.requestId,
  ip: e.ip,
  user_agent: e.userAgent,
  count: e.count ?? 1,
});

/** The audit_events columns an event fills, in the order `toAuditValues` gives them. */
export const AUDIT_COLUMNS = Object.keys(toAuditRow({} as AuditEventInput)) as (keyof ReturnType<
  typeof toAuditRow
>)[];

/**
 * An event's column values in `AUDIT_COLUMNS` order: what the SQLite audit writer thread inserts.
 * Arrays cross to the thread and bind to a prepared statement cheaper than objects keyed by name.
 */
export const toAuditValues = (e: AuditEventInput): unknown[] => [
  // Written out, in toAuditRow's order (a test holds them equal): every secret read makes one, and
  // Object.values of the row object made an object and an array per read.
  e.occurredAt,
  e.accountId,
  e.actorType,
  e.actorId,
  e.tokenId,
  e.action,
  e.resourceType,
  e.resourceId,
  e.vaultId,
  e.itemId,
  e.itemVersion,
  e.result,
  e.requestId,
  e.ip,
  e.userAgent,
  e.count ?? 1,
];

/**
 * Rows per INSERT of `appendMany`, largest first: 16 parameters a row, 4,000 a statement at most,
 * well under SQLite's (32,766) and PostgreSQL's (65,535) bounds. Only these sizes, so that the SQL
 * texts repeat and the driver's prepared statements are reused (storage/sqlite/connection.ts):
 * one INSERT for whatever was left over made a new statement of up to 4,000 parameters nearly
 * every shipment a Connect node sent (its last one of a run is of any size), and preparing it
 * cost the central service more than the rows' own insert (see docs/performance.md).
 */
const MANY_CHUNKS = [250, 50, 10, 1] as const;

/** `appendMany`'s statements: consecutive slices of `events`, in order, each of a size in MANY_CHUNKS. */
export function manyChunks<T>(events: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let i = 0;
  for (const size of MANY_CHUNKS)
    for (; events.length - i >= size; i += size) chunks.push(events.slice(i, i + size));
  return chunks;
}

/** Tokens per query of `newestConnectTokenUses`: one parameter each, well under any driver's bound. */
const NEWEST_CHUNK = 500;

const MARKER = '\u0000keyhold-audit-value:';

/**
 * `appendMany`'s INSERTs, compiled once per dialect and row count: by the database's adapter,
 * which its transactions share (a central service stores each shipment in a transaction of its
 * own, and building and compiling a 250-row INSERT with Kysely was a tenth of its ingest). `slots`
 * gives, per compiled parameter, its index in the chunk's values laid end to end (toAuditValues).
 */
const manyInserts = new WeakMap<object, Map<number, { query: CompiledQuery; slots: number[] }>>();

function manyInsert(db: Kysely<Database>, size: number): { query: CompiledQuery; slots: number[] } {
  const adapter = db.getExecutor().adapter;
  let bySize = manyInserts.get(adapter);
  if (!bySize) {
    bySize = new Map();
    manyInserts.set(adapter, bySize);
  }
  let compiled = bySize.get(size);
  if (!compiled) {
    const width = AUDIT_COLUMNS.length;
    const rows = Array.from({ length: size }, (_, r) =>
      Object.fromEntries(AUDIT_COLUMNS.map((c, k) => [c, `${MARKER}${r * width + k}`])),
    );
    const query = db
      .insertInto('audit_events')
      .values(rows as never)
      .compile();
    const slots = query.parameters.map((p) => {
      if (typeof p !== 'string' || !p.startsWith(MARKER)) throw new Error('appendMany: unexpected constant');
      return Number(p.slice(MARKER.length));
    });
    compiled = { query, slots };
    bySize.set(size, compiled);
  }
  return compiled;
}

/** `runIfFree`: see precompiled.ts. */
export function auditStore(db: Kysely<Database>, runIfFree?: RunIfFree): AuditStore {
  // Every audited write appends one: compiled once (see precompiled.ts).
  const insert = precompiledInsert(db, 'audit_events', AUDIT_COLUMNS, runIfFree);
  return {
    append: (e) => insert(toAuditRow(e)),
    async appendMany(events) {
      for (const chunk of manyChunks(events)) {
        const { query, slots } = manyInsert(db, chunk.length);
        const values = chunk.flatMap(toAuditValues);
        await db.executeQuery({ ...query, parameters: slots.map((slot) => values[slot]) });
      }
    },
    async list(accountId, { limit, ...options }) {
      const rows = await narrowed(db, accountId, options)
        .selectAll()
        .orderBy('seq', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toEvent);
    },
    async listByTokens(accountId, tokenIds, { limit, offset }) {
      if (tokenIds.length === 0) return { events: [], total: 0 };
      const scope = db
        .selectFrom('audit_events')
        .where('account_id', '=', accountId)
        .where('token_id', 'in', tokenIds);
      const rows = await scope.selectAll().orderBy('seq', 'desc').limit(limit).offset(offset).execute();
      const count = await scope
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return { events: rows.map(toEvent), total: Number(count.n) };
    },
    async newestConnectTokenUses(accountId, tokenIds, results) {
      const newest = new Map<string, string>();
      if (results.length === 0) return newest;
      for (let i = 0; i < tokenIds.length; i += NEWEST_CHUNK) {
        // The ids as a VALUES list (its one column is `column1` on both SQLite and PostgreSQL),
        // each with its newest matching event: walked down the audit_token_occurred index from
        // the token's end, stopping at the first event that matches. The actor type is written
        // as the index's own literal, so that SQLite sees the partial index applies.
        const ids = sql.join(tokenIds.slice(i, i + NEWEST_CHUNK).map((id) => sql`(${id})`));
        const rows = await sql<{ token_id: string; occurred_at: string | null }>`
          select t.column1 as token_id, (
            select a.occurred_at from audit_events a
            where a.token_id = t.column1 and a.account_id = ${accountId}
              and a.actor_type = 'connect_token' and a.result in (${sql.join(results)})
            order by a.occurred_at desc limit 1
          ) as occurred_at
          from (values ${ids}) as t`.execute(db);
        for (const r of rows.rows) if (r.occurred_at !== null) newest.set(r.token_id, r.occurred_at);
      }
      return newest;
    },
    async prune(result, before, limit) {
      // Through a subquery because DELETE … LIMIT is not standard SQL; the (result, occurred_at)
      // index finds the oldest rows without reading the rest of the table.
      const deleted = await db
        .deleteFrom('audit_events')
        .where(
          'seq',
          'in',
          db
            .selectFrom('audit_events')
            .select('seq')
            .where('result', '=', result)
            .where('occurred_at', '<', before)
            .orderBy('occurred_at')
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(deleted.numDeletedRows);
    },
  };
}

/**
 * The account's events that match every filter. SQLite reads them from the account's trail newest
 * first by (account_id, seq), in the page's order, so the caller's LIMIT ends the walk once a page
 * has matched. A resource id is one OR over its three columns (vault_id and item_id have no index,
 * so no plan through the resource_id index alone could stop sooner).
 *
 * A time range also bounds that walk by seq, to between the smallest and largest seq of the
 * account's events in the range, read from the (account_id, occurred_at) index alone: every event
 * in the range lies within those bounds whatever order events were stamped in, so the bounds never
 * change the answer; and since occurred_at grows with seq, the walk skips what is newer than the
 * range and stops where it begins, instead of fetching every event of the range to sort it.
 */
function narrowed(
  db: Kysely<Database>,
  accountId: string,
  options: AuditFilter & { beforeSeq?: number },
): SelectQueryBuilder<Database, 'audit_events', object> {
  const { since, until, resourceId } = options;
  const inRange = <O>(q: SelectQueryBuilder<Database, 'audit_events', O>) => {
    let r = q.where('account_id', '=', accountId);
    if (since !== undefined) r = r.where('occurred_at', '>=', since);
    if (until !== undefined) r = r.where('occurred_at', '<', until);
    return r;
  };
  let q = inRange(db.selectFrom('audit_events'));
  if (since !== undefined)
    q = q.where(
      'seq',
      '>=',
      inRange(db.selectFrom('audit_events')).select((eb) => eb.fn.min('seq').as('seq')),
    );
  if (until !== undefined)
    q = q.where(
      'seq',
      '<=',
      inRange(db.selectFrom('audit_events')).select((eb) => eb.fn.max('seq').as('seq')),
    );
  if (options.beforeSeq !== undefined) q = q.where('seq', '<', options.beforeSeq);
  if (options.actorId !== undefined) q = q.where('actor_id', '=', options.actorId);
  if (options.action !== undefined) q = q.where('action', '=', options.action);
  if (options.result !== undefined) q = q.where('result', '=', options.result);
  if (options.resourceType !== undefined) q = q.where('resource_type', '=', options.resourceType);
  if (resourceId !== undefined)
    q = q.where((eb) =>
      eb.or([
        eb('resource_id', '=', resourceId),
        eb('vault_id', '=', resourceId),
        eb('item_id', '=', resourceId),
      ]),
    );
  return q;
}

const toEvent = (r: Selectable<Database['audit_events']>): AuditEvent => ({
  seq: Number(r.seq),
  occurredAt: r.occurred_at,
  accountId: r.account_id,
  actorType: r.actor_type,
  actorId: r.actor_id,
  tokenId: r.token_id,
  action: r.action as AuditAction,
  resourceType: r.resource_type as AuditResourceType,
  resourceId: r.resource_id,
  vaultId: r.vault_id,
  itemId: r.item_id,
  itemVersion: r.item_version,
  result: r.result as AuditResult,
  requestId: r.request_id,
  ip: r.ip,
  userAgent: r.user_agent,
  count: Number(r.count),
});
