import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { LoginAttemptKey, LoginAttemptStore } from '../../ports/oauth.js';
import type { Database } from '../tables.js';

/**
 * The login throttle's counts. A reservation is one transaction: it reads the keys' locks and,
 * when none holds, counts the attempt on each key with one upsert that re-checks the lock on
 * the row it writes (`DO UPDATE … WHERE locked_until <= now`) and computes the new lock in the
 * same statement. On SQLite the transaction holds the only write lock from `begin immediate`,
 * so check and count are one step; on PostgreSQL the upsert's row lock makes each key's
 * check-and-count atomic, and keys are taken in byte order so two reservations never deadlock.
 * Should a concurrent writer lock a key between the read and its upsert (possible only with
 * several writers), the attempt is refused and the keys counted before it keep their count: the
 * throttle errs towards refusing.
 */
export function loginAttemptStore(db: Kysely<Database>): LoginAttemptStore {
  return {
    async reserve(keys, waitsMs, now) {
      checkArguments(keys, waitsMs, now);
      const ordered = [...keys].sort((a, b) => Buffer.compare(a.key, b.key));
      const refused = async (over: Kysely<Database>) => {
        const wait = await longestWait(over, ordered, now);
        return wait > 0 ? ({ reserved: false, retryAfterMs: wait } as const) : undefined;
      };
      // A locked key is refused on a plain read, without the write lock: a flood of attempts
      // on a locked email costs reads only. (A lock only ever ends by time or by a success, so a
      // lock seen here held a moment ago; the transaction below decides everything else.)
      if (!db.isTransaction) {
        const early = await refused(db);
        if (early) return early;
      }
      const run = async (trx: Kysely<Database>) => {
        const locked = await refused(trx);
        if (locked) return locked;
        for (const key of ordered) {
          if (!(await countAttempt(trx, key, waitsMs, now))) {
            return {
              reserved: false,
              retryAfterMs: Math.max(1, await longestWait(trx, ordered, now)),
            } as const;
          }
        }
        return { reserved: true } as const;
      };
      return db.isTransaction ? run(db) : db.transaction().execute(run);
    },

    async clear(keys) {
      if (keys.length === 0) return;
      await db
        .deleteFrom('login_attempts')
        .where('key', 'in', [...keys])
        .execute();
    },

    async purgeExpired(before) {
      const result = await db
        .deleteFrom('login_attempts')
        .where('expires_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

/** Milliseconds until every one of the keys is unlocked at `now`, or 0. */
async function longestWait(
  db: Kysely<Database>,
  keys: readonly LoginAttemptKey[],
  now: number,
): Promise<number> {
  const row = await db
    .selectFrom('login_attempts')
    .select((eb) => eb.fn.max('locked_until').as('until'))
    .where(
      'key',
      'in',
      keys.map((k) => k.key),
    )
    .executeTakeFirst();
  return Math.max(0, Number(row?.until ?? 0) - now);
}

/** Counts one attempt on the key unless it is locked; false when it is. */
async function countAttempt(
  trx: Kysely<Database>,
  { key, free, forgetAfterMs }: LoginAttemptKey,
  waitsMs: readonly number[],
  now: number,
): Promise<boolean> {
  // Literals, not parameters: checked integers from the code (checkArguments), and arithmetic
  // on literals leaves no parameter type for a backend to guess.
  const lit = (n: number) => sql.lit(n);
  // The count after this attempt: a key past its forget time starts again.
  const count = sql<number>`(case when login_attempts.expires_at <= ${lit(now)} then 1 else login_attempts.failures + 1 end)`;
  const lockedUntil = (c: RawBuilder<number>) =>
    sql<number>`(case when ${c} < ${lit(free)} then 0 else ${lit(now)} + ${waitAfter(sql<number>`${c} - ${lit(free)}`, waitsMs)} end)`;
  const expiresAt = (locked: RawBuilder<number>) =>
    sql<number>`(case when ${locked} > ${lit(now)} then ${locked} else ${lit(now)} end) + ${lit(forgetAfterMs)}`;
  const firstLock = free <= 1 ? now + (waitsMs[0] ?? 0) : 0;
  const counted = await trx
    .insertInto('login_attempts')
    .values({
      key,
      failures: 1,
      locked_until: firstLock,
      expires_at: Math.max(firstLock, now) + forgetAfterMs,
    })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({
          failures: count,
          locked_until: lockedUntil(count),
          expires_at: expiresAt(lockedUntil(count)),
        })
        .where('login_attempts.locked_until', '<=', now),
    )
    .returning('failures')
    .executeTakeFirst();
  return counted !== undefined;
}

/** `waitsMs[n]` for the SQL expression `n`, the last entry repeating. */
function waitAfter(n: RawBuilder<number>, waits: readonly number[]): RawBuilder<number> {
  const last = waits.length - 1;
  if (last === 0) return sql<number>`${sql.lit(waits[0] ?? 0)}`;
  const arms = waits.slice(0, last).map((w, i) => sql`when ${sql.lit(i)} then ${sql.lit(w)}`);
  return sql<number>`(case ${n} ${sql.join(arms, sql` `)} else ${sql.lit(waits[last] ?? 0)} end)`;
}

/** The numbers are written into the statement as literals: they must be what they claim. */
function checkArguments(keys: readonly LoginAttemptKey[], waitsMs: readonly number[], now: number): void {
  const ok = (n: number) => Number.isSafeInteger(n) && n >= 0;
  const keysOk = keys.length > 0 && keys.every((k) => ok(k.forgetAfterMs) && ok(k.free) && k.free >= 1);
  if (!ok(now) || !keysOk || waitsMs.length === 0 || !waitsMs.every(ok)) {
    throw new TypeError('login attempts: a key, a wait, and non-negative integer times and counts');
  }
}
