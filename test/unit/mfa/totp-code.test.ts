import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../../src/crypto/ids.js';
import { Keyring } from '../../../src/crypto/keyring.js';
import { acceptCode } from '../../../src/domain/mfa/accept-code.js';
import {
  newRecoveryCodes,
  normaliseRecoveryCode,
  recoveryCodeHash,
} from '../../../src/domain/mfa/recovery-codes.js';
import { matchingStep, newTotpSecret, secretText, stepAt } from '../../../src/domain/mfa/totp.js';
import { sealTotpSecret } from '../../../src/domain/mfa/totp-secret.js';
import type { Storage, UserRecord } from '../../../src/storage/ports.js';
import { openSqlite } from '../../../src/storage/sqlite/open.js';
import { TOTP_PERIOD_MS, totpCode } from '../../helpers/totp.js';

const NOW = 1_750_000_005_000;

describe('matchingStep', () => {
  const secret = newTotpSecret();
  const text = secretText(secret);
  const step = stepAt(NOW);

  it('accepts the code of the current step and of one step either side, nothing further', () => {
    expect(matchingStep(secret, totpCode(text, NOW), NOW, -1)).toBe(step);
    expect(matchingStep(secret, totpCode(text, NOW - TOTP_PERIOD_MS), NOW, -1)).toBe(step - 1);
    expect(matchingStep(secret, totpCode(text, NOW + TOTP_PERIOD_MS), NOW, -1)).toBe(step + 1);
    for (const offset of [-2, 2, -10]) {
      const code = totpCode(text, NOW + offset * TOTP_PERIOD_MS);
      // A far code may coincide with a near one by chance (1 in 10^6): only then would it match.
      const near = [-1, 0, 1].map((d) => totpCode(text, NOW + d * TOTP_PERIOD_MS));
      if (!near.includes(code)) expect(matchingStep(secret, code, NOW, -1)).toBeUndefined();
    }
  });

  it('refuses a code of a step at or before the last accepted one (single use, no going back)', () => {
    expect(matchingStep(secret, totpCode(text, NOW), NOW, step)).toBeUndefined();
    expect(matchingStep(secret, totpCode(text, NOW - TOTP_PERIOD_MS), NOW, step)).toBeUndefined();
    expect(matchingStep(secret, totpCode(text, NOW + TOTP_PERIOD_MS), NOW, step)).toBe(step + 1);
  });

  it('refuses what is not six digits, and another secret’s code', () => {
    const code = totpCode(text, NOW);
    for (const bad of ['', `${code}0`, code.slice(1), ` ${code}`, 'abcdef', '12345६']) {
      expect(matchingStep(secret, bad, NOW, -1)).toBeUndefined();
    }
    const other = newTotpSecret();
    const otherCode = totpCode(secretText(other), NOW);
    const near = [-1, 0, 1].map((d) => totpCode(text, NOW + d * TOTP_PERIOD_MS));
    if (!near.includes(otherCode)) expect(matchingStep(secret, otherCode, NOW, -1)).toBeUndefined();
  });
});

describe('recovery codes', () => {
  it('are ten distinct codes of 80 bits, read back whatever the case and separators', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
    const [first] = codes as [string];
    expect(normaliseRecoveryCode(first.toLowerCase().replaceAll('-', ' '))).toBe(first.replaceAll('-', ''));
    expect(normaliseRecoveryCode('123456')).toBeUndefined();
    // The hash is bound to the user.
    expect(recoveryCodeHash('user-a', first).equals(recoveryCodeHash('user-b', first))).toBe(false);
  });
});

/** acceptCode over a real SQLite file: the compare-and-set that makes a code single-use. */
describe('acceptCode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-mfa-'));
  let files = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let storage: Storage;
  const keyring = new Keyring(Buffer.alloc(32, 7));
  let user: UserRecord;
  let secret: Buffer;
  let text: string;
  let recovery: string[];

  const addUser = async (accountId: string, email: string): Promise<UserRecord> => {
    const u: UserRecord = {
      id: newId(),
      accountId,
      email,
      passwordHash: 'x',
      role: 'member',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      disabledAt: null,
      name: null,
    };
    await storage.users.insert(u);
    return u;
  };

  beforeEach(async () => {
    storage = await openSqlite(join(dir, `db-${files++}.sqlite`));
    const accountId = newId();
    await storage.accounts.insert({ id: accountId, name: 'Acme', createdAt: '2026-01-01T00:00:00.000Z' });
    user = await addUser(accountId, 'a@example.com');
    secret = newTotpSecret();
    text = secretText(secret);
    const sealed = sealTotpSecret(keyring, accountId, user.id, secret);
    await storage.totp.putPending({
      userId: user.id,
      accountId,
      secret: sealed,
      enabled: false,
      lastStep: -1,
      createdAt: '2026-01-01T00:00:00.000Z',
      enabledAt: null,
      pendingFor: 'session:s',
    });
    recovery = newRecoveryCodes();
    const hashes = recovery.map((c) => recoveryCodeHash(user.id, c));
    expect(await storage.totp.enable(user.id, sealed, 'session:s', stepAt(NOW) - 5, hashes, 'now')).toBe(
      true,
    );
  });
  afterEach(async () => {
    await storage.close();
  });

  it('accepts a code once: the same code again, or an older step after it, is refused', async () => {
    const code = totpCode(text, NOW);
    expect(await acceptCode(storage, keyring, user, code, NOW)).toBe('totp');
    expect(await acceptCode(storage, keyring, user, code, NOW)).toBeUndefined();
    expect(
      await acceptCode(storage, keyring, user, totpCode(text, NOW - TOTP_PERIOD_MS), NOW),
    ).toBeUndefined();
    // The next step's code is still good, once.
    const next = totpCode(text, NOW + TOTP_PERIOD_MS);
    expect(await acceptCode(storage, keyring, user, next, NOW + TOTP_PERIOD_MS)).toBe('totp');
    expect(await acceptCode(storage, keyring, user, next, NOW + TOTP_PERIOD_MS)).toBeUndefined();
  });

  it('lets exactly one of many parallel submissions of one code through (compare-and-set)', async () => {
    const code = totpCode(text, NOW);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => acceptCode(storage, keyring, user, code, NOW)),
    );
    expect(results.filter((r) => r === 'totp')).toHaveLength(1);
    expect((await storage.totp.get(user.id))?.lastStep).toBe(stepAt(NOW));
  });

  it('spends a recovery code once, also under parallel use, in any case and grouping', async () => {
    const [first, second] = recovery as [string, string];
    const results = await Promise.all(
      Array.from({ length: 10 }, () => acceptCode(storage, keyring, user, first.toLowerCase(), NOW)),
    );
    expect(results.filter((r) => r === 'recovery')).toHaveLength(1);
    expect(await acceptCode(storage, keyring, user, first, NOW)).toBeUndefined();
    expect(await acceptCode(storage, keyring, user, second.replaceAll('-', ''), NOW)).toBe('recovery');
    expect(await storage.totp.unusedRecoveryCodes(user.id)).toBe(8);
  });

  it('refuses a code of a secret that is only pending, and of a user without TOTP', async () => {
    const other = await addUser(user.accountId, 'b@example.com');
    expect(await acceptCode(storage, keyring, other, totpCode(text, NOW), NOW)).toBeUndefined();
    const pending = newTotpSecret();
    await storage.totp.putPending({
      userId: other.id,
      accountId: user.accountId,
      secret: sealTotpSecret(keyring, user.accountId, other.id, pending),
      enabled: false,
      lastStep: -1,
      createdAt: 'now',
      enabledAt: null,
      pendingFor: 'session:s',
    });
    expect(
      await acceptCode(storage, keyring, other, totpCode(secretText(pending), NOW), NOW),
    ).toBeUndefined();
  });

  it('refuses a secret copied from another user with mfa_unavailable, never accepting its code', async () => {
    const other = await addUser(user.accountId, 'c@example.com');
    const row = await storage.totp.get(user.id);
    if (!row) throw new Error('no row');
    await storage.totp.putPending({
      ...row,
      userId: other.id,
      enabled: false,
      lastStep: -1,
      pendingFor: 'session:s',
    });
    await storage.totp.enable(other.id, row.secret, 'session:s', -1, [], 'now');
    await expect(acceptCode(storage, keyring, other, totpCode(text, NOW), NOW)).rejects.toMatchObject({
      status: 409,
      code: 'mfa_unavailable',
    });
  });
});
