import type { Kysely } from 'kysely';
import type { UserRole } from '../../domain/access/roles.js';
import type { UserRecord, UserStore } from '../ports.js';
import { byteOrder, dialectOf, held } from './dialect.js';
import type { Database } from './tables.js';

export function userStore(db: Kysely<Database>): UserStore {
  const dialect = dialectOf(db);
  const toRecord = (r: Database['users']): UserRecord => ({
    id: r.id,
    accountId: r.account_id,
    email: r.email,
    passwordHash: r.password_hash,
    role: r.role as UserRole,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    disabledAt: r.disabled_at,
    name: r.name,
  });
  return {
    async insert(u) {
      await db
        .insertInto('users')
        .values({
          id: u.id,
          account_id: u.accountId,
          email: u.email,
          password_hash: u.passwordHash,
          role: u.role,
          created_at: u.createdAt,
          updated_at: u.updatedAt,
          disabled_at: null,
          name: u.name ?? null,
        })
        .execute();
    },
    async get(accountId, id, hold) {
      const row = await held(dialect, db.selectFrom('users').selectAll(), hold)
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async findByEmail(accountId, email) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('email', '=', email)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async findInAllAccounts(email) {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', email)
        .orderBy(byteOrder(dialect, 'account_id'))
        .execute();
      return rows.map(toRecord);
    },
    async list(accountId) {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy(byteOrder(dialect, 'email'))
        .execute();
      return rows.map(toRecord);
    },
    async update(accountId, id, changes) {
      const result = await db
        .updateTable('users')
        .set({
          updated_at: changes.updatedAt,
          ...(changes.role === undefined ? {} : { role: changes.role }),
          ...(changes.disabledAt === undefined ? {} : { disabled_at: changes.disabledAt }),
          ...(changes.passwordHash === undefined ? {} : { password_hash: changes.passwordHash }),
          ...(changes.name === undefined ? {} : { name: changes.name }),
        })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async countEnabledOwners(accountId) {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | bigint>().as('n'))
        .where('account_id', '=', accountId)
        .where('role', '=', 'owner')
        .where('disabled_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async delete(accountId, id) {
      const result = await db
        .deleteFrom('users')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
