import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../src/domain/login/throttle.js';
import type { Storage } from '../../../src/storage/ports.js';
import { openSqlite } from '../../../src/storage/sqlite/open.js';

const ACCOUNT = 'acc';
const USER = 'user-1';
const EMAIL = 'user@example.com';
const HOME = '192.0.2.1';
const SECOND = 1_000;

const dir = mkdtempSync(join(tmpdir(), 'keyhold-code-throttle-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The second step's throttle: the password's bars, keys of its own, the address's spray count shared. */
describe('LoginThrottle.reserveCode', () => {
  let now: number;
  let storage: Storage;
  let throttle: LoginThrottle;

  beforeEach(async () => {
    now = 1_750_000_000_000;
    storage = await openSqlite(join(dir, `db-${files++}.sqlite`));
    throttle = new LoginThrottle(storage, () => now);
  });
  afterEach(async () => {
    await storage.close();
  });

  it('lets five codes through from one address, then waits 1 s, 2 s, …; a success clears it', async () => {
    for (let n = 1; n <= 5; n++) expect(await throttle.reserveCode(ACCOUNT, USER, HOME)).toBe(0);
    expect(await throttle.reserveCode(ACCOUNT, USER, HOME)).toBe(SECOND);
    now += SECOND;
    expect(await throttle.reserveCode(ACCOUNT, USER, HOME)).toBe(0);
    expect(await throttle.reserveCode(ACCOUNT, USER, HOME)).toBe(2 * SECOND);
    await throttle.codeSucceeded(ACCOUNT, USER, HOME);
    expect(await throttle.reserveCode(ACCOUNT, USER, HOME)).toBe(0);
  });

  it('of parallel reservations, exactly the free ones go through', async () => {
    const waits = await Promise.all(
      Array.from({ length: 30 }, () => throttle.reserveCode(ACCOUNT, USER, HOME)),
    );
    expect(waits.filter((w) => w === 0)).toHaveLength(5);
  });

  it('keeps code and password guesses apart per user, and slows a user’s codes from everywhere after 50', async () => {
    for (let n = 0; n < 5; n++) await throttle.reserveCode(ACCOUNT, USER, HOME);
    // The password keys of the same person are untouched, and so is another user's code key.
    expect(await throttle.reserve(ACCOUNT, EMAIL, HOME)).toBe(0);
    expect(await throttle.reserveCode(ACCOUNT, 'user-2', HOME)).toBe(0);
    for (let n = 0; n < 45; n++) {
      expect(await throttle.reserveCode(ACCOUNT, USER, `198.51.100.${n + 1}`), `address ${n}`).toBe(0);
    }
    // The 51st code, from a fresh address: the per-user bar holds.
    expect(await throttle.reserveCode(ACCOUNT, USER, '203.0.113.9')).toBeGreaterThan(0);
  });
});
