import type { Kysely } from 'kysely';
import type {
  AccountPolicyStore,
  MfaChallengePurpose,
  MfaChallengeStore,
  TotpRecord,
  TotpStore,
} from '../ports.js';
import type { Database } from './tables.js';

export function totpStore(db: Kysely<Database>): TotpStore {
  const toRecord = (r: Database['user_totp']): TotpRecord => ({
    userId: r.user_id,
    accountId: r.account_id,
    secret: r.secret,
    enabled: r.enabled === 1,
    lastStep: Number(r.last_step),
    createdAt: r.created_at,
    enabledAt: r.enabled_at,
    pendingFor: r.pending_for,
  });
  return {
    async get(userId) {
      const row = await db
        .selectFrom('user_totp')
        .selectAll()
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async putPending(t) {
      // An enabled row is never replaced: the conflict update only applies to a pending one.
      const result = await db
        .insertInto('user_totp')
        .values({
          user_id: t.userId,
          account_id: t.accountId,
          secret: t.secret,
          enabled: 0,
          last_step: t.lastStep,
          created_at: t.createdAt,
          enabled_at: null,
          pending_for: t.pendingFor,
        })
        .onConflict((oc) =>
          oc
            .column('user_id')
            .doUpdateSet({
              secret: t.secret,
              last_step: t.lastStep,
              created_at: t.createdAt,
              pending_for: t.pendingFor,
            })
            .where('user_totp.enabled', '=', 0),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    async enable(userId, secret, pendingFor, step, hashes, at) {
      const result = await db
        .updateTable('user_totp')
        .set({ enabled: 1, last_step: step, enabled_at: at, pending_for: null })
        .where('user_id', '=', userId)
        .where('enabled', '=', 0)
        .where('secret', '=', secret)
        .where('pending_for', '=', pendingFor)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      await db.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
      if (hashes.length > 0) {
        await db
          .insertInto('user_recovery_codes')
          .values(hashes.map((h) => ({ user_id: userId, code_hash: h, used_at: null })))
          .execute();
      }
      return true;
    },
    async acceptStep(userId, step) {
      const result = await db
        .updateTable('user_totp')
        .set({ last_step: step })
        .where('user_id', '=', userId)
        .where('enabled', '=', 1)
        .where('last_step', '<', step)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async useRecoveryCode(userId, codeHash, at) {
      const result = await db
        .updateTable('user_recovery_codes')
        .set({ used_at: at })
        .where('user_id', '=', userId)
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async unusedRecoveryCodes(userId) {
      const row = await db
        .selectFrom('user_recovery_codes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async delete(userId) {
      await db.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
      const result = await db.deleteFrom('user_totp').where('user_id', '=', userId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

export function accountPolicyStore(db: Kysely<Database>): AccountPolicyStore {
  return {
    async get(accountId) {
      const r = await db
        .selectFrom('account_policies')
        .selectAll()
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return (
        r && {
          accountId: r.account_id,
          requireMfa: r.require_mfa === 1,
          requirePushedRequests: r.require_pushed_requests === 1,
          updatedAt: r.updated_at,
        }
      );
    },
    async put(p) {
      const values = {
        require_mfa: p.requireMfa ? 1 : 0,
        require_pushed_requests: p.requirePushedRequests ? 1 : 0,
        updated_at: p.updatedAt,
      };
      await db
        .insertInto('account_policies')
        .values({ account_id: p.accountId, ...values })
        .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
        .execute();
    },
  };
}

export function mfaChallengeStore(db: Kysely<Database>): MfaChallengeStore {
  return {
    async insert(c) {
      await db
        .insertInto('mfa_challenges')
        .values({
          id: c.id,
          secret_hash: c.secretHash,
          account_id: c.accountId,
          user_id: c.userId,
          purpose: c.purpose,
          csrf_token: c.csrfToken,
          attempts: c.attempts,
          created_at: c.createdAt,
          expires_at: c.expiresAt,
        })
        .execute();
    },
    async findByHash(secretHash) {
      const r = await db
        .selectFrom('mfa_challenges')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      return (
        r && {
          id: r.id,
          secretHash: r.secret_hash,
          accountId: r.account_id,
          userId: r.user_id,
          purpose: r.purpose as MfaChallengePurpose,
          csrfToken: r.csrf_token,
          attempts: r.attempts,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
        }
      );
    },
    async countAttempt(id, max) {
      const result = await db
        .updateTable('mfa_challenges')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('attempts', '<', max)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async delete(id) {
      const result = await db.deleteFrom('mfa_challenges').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async deleteForUser(userId) {
      const result = await db.deleteFrom('mfa_challenges').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async purgeExpired(before) {
      const result = await db
        .deleteFrom('mfa_challenges')
        .where('expires_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
