import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/domain/login/throttle.js';
import type { Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

const ACCOUNT = 'acc';
const EMAIL = 'owner@example.com';
const HOME = '192.0.2.1';
const ATTACKER = '198.51.100.7';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;

const dir = mkdtempSync(join(tmpdir(), 'keyhold-throttle-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The throttle's policy, over a real database file and a clock the test moves. Every attempt is
 * reserved before its password is checked and counts as a failure unless `succeed` follows; a
 * refused attempt records nothing, so trying a locked key is how the test reads its wait.
 */
describe('LoginThrottle', () => {
  let now: number;
  let storage: Storage;
  let throttle: LoginThrottle;
  /** Reserves an attempt: 0 when it goes through (and counts), else the wait (nothing counted). */
  const attempt = (ip: string, email = EMAIL, account = ACCOUNT) => throttle.reserve(account, email, ip);
  /** An attempt that must go through (and then fails its password). */
  const fail = async (ip: string, email = EMAIL) => expect(await attempt(ip, email)).toBe(0);
  /** A failed attempt made as soon as the throttle allows it: waits out any lock first. */
  const failWhenAllowed = async (ip: string, email = EMAIL) => {
    const wait = await attempt(ip, email);
    if (wait === 0) return;
    now += wait;
    await fail(ip, email);
  };

  beforeEach(async () => {
    now = 1_750_000_000_000;
    storage = await openSqlite(join(dir, `db-${files++}.sqlite`));
    throttle = new LoginThrottle(storage, () => now);
  });
  afterEach(async () => {
    await storage.close();
  });

  it('lets five attempts through, then makes the address wait; a refused attempt counts nothing', async () => {
    for (let n = 1; n <= 5; n++) expect(await attempt(HOME), `attempt ${n}`).toBe(0);
    for (let n = 0; n < 10; n++) expect(await attempt(HOME)).toBe(SECOND);
    now += SECOND;
    await fail(HOME);
    // The sixth counted attempt waits 2 s: the ten refused ones did not count.
    expect(await attempt(HOME)).toBe(2 * SECOND);
  });

  it('doubles the wait with every further failure, up to 15 minutes', async () => {
    for (let n = 1; n <= 4; n++) await fail(HOME);
    const delays: number[] = [];
    for (let n = 5; n <= 17; n++) {
      await failWhenAllowed(HOME);
      delays.push(await attempt(HOME));
    }
    expect(delays).toEqual([
      ...[1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((s) => s * SECOND),
      15 * MINUTE,
      15 * MINUTE,
      15 * MINUTE,
    ]);
  });

  it('counts the wait down with the clock and lets the attempt through once it has passed', async () => {
    for (let n = 0; n < 6; n++) await failWhenAllowed(HOME);
    expect(await attempt(HOME)).toBe(2 * SECOND);
    now += 1_500;
    expect(await attempt(HOME)).toBe(500);
    now += 500;
    expect(await attempt(HOME)).toBe(0);
  });

  it('slows one address down without locking the owner out from another', async () => {
    for (let n = 0; n < 8; n++) await failWhenAllowed(ATTACKER);
    expect(await attempt(ATTACKER)).toBeGreaterThan(0);
    expect(await attempt(HOME)).toBe(0);
    // Other emails and other accounts are other keys.
    expect(await attempt(ATTACKER, 'someone@example.com')).toBe(0);
    expect(await attempt(ATTACKER, EMAIL, 'other-account')).toBe(0);
  });

  it('counts an IPv6 client by its /64: a fresh address of the same network for each attempt is no escape', async () => {
    for (let n = 1; n <= 5; n++) await fail(`2001:db8:5:6::${n.toString(16)}`);
    expect(await attempt('2001:db8:5:6:ffff:ffff:ffff:fffe')).toBe(SECOND);
    expect(await attempt('2001:db8:5:6:0:0:0:abcd')).toBe(SECOND);
    // The next /64 is another client.
    expect(await attempt('2001:db8:5:7::1')).toBe(0);
    // An IPv4 client is its address, whether the socket shows it plain or IPv4-mapped.
    for (let n = 1; n <= 5; n++) await fail('::ffff:192.0.2.77');
    expect(await attempt('192.0.2.77')).toBe(SECOND);
    expect(await attempt('192.0.2.78')).toBe(0);
  });

  it('locks an email for every address once a distributed attack passes 50 failures', async () => {
    // One failure from each of 50 addresses: the fiftieth locks the email everywhere.
    for (let n = 0; n < 49; n++) await fail(`203.0.113.${n}`);
    await fail(HOME);
    expect(await attempt('203.0.113.200')).toBe(SECOND);
    expect(await attempt(HOME)).toBe(SECOND);
    expect(await attempt(HOME, 'someone@example.com')).toBe(0);
    // Further failures double the email's wait like an address's.
    now += SECOND;
    await fail('203.0.113.50');
    expect(await attempt(HOME)).toBe(2 * SECOND);
    for (let n = 0; n < 30; n++) {
      now += await attempt(HOME);
      await fail(`198.18.0.${n}`);
    }
    expect(await attempt(HOME)).toBe(15 * MINUTE);
  });

  it('clears the email and the address on a success', async () => {
    for (let n = 0; n < 7; n++) await failWhenAllowed(HOME);
    now += await attempt(HOME);
    await fail(HOME);
    await throttle.succeed(ACCOUNT, EMAIL, HOME);
    // The count starts again: five attempts are free.
    for (let n = 0; n < 5; n++) await fail(HOME);
    expect(await attempt(HOME)).toBe(SECOND);
  });

  it('a success from the owner’s address clears the email, not the attacker’s address', async () => {
    for (let n = 0; n < 45; n++) await fail(`203.0.113.${n}`);
    for (let n = 0; n < 6; n++) await failWhenAllowed(ATTACKER);
    // 51 failures for the email: locked for the owner too.
    const ownerWait = await attempt(HOME);
    expect(ownerWait).toBeGreaterThan(0);
    now += ownerWait;
    await fail(HOME);
    await throttle.succeed(ACCOUNT, EMAIL, HOME);
    expect(await attempt(HOME)).toBe(0);
    // The attacker's address still has its six failures: the seventh waits 4 s.
    now += 10 * SECOND;
    await fail(ATTACKER);
    expect(await attempt(ATTACKER)).toBe(4 * SECOND);
  });

  it('slows a password spray from one address after 200 failures across emails; a success from it clears that', async () => {
    const sprayed = (n: number) => `user${n}@example.com`;
    for (let n = 0; n < 200; n++) await fail(ATTACKER, sprayed(n));
    // A fresh email from the same address now waits; another address still gets through.
    expect(await attempt(ATTACKER, sprayed(200))).toBe(SECOND);
    expect(await attempt(HOME, sprayed(200))).toBe(0);
    now += SECOND;
    await fail(ATTACKER, sprayed(201));
    expect(await attempt(ATTACKER, sprayed(202))).toBe(2 * SECOND);
    // Someone behind the same address signs in: the count across emails starts again.
    now += 2 * SECOND;
    expect(await attempt(ATTACKER, EMAIL)).toBe(0);
    await throttle.succeed(ACCOUNT, EMAIL, ATTACKER);
    expect(await attempt(ATTACKER, sprayed(203))).toBe(0);
  });

  it('refuses every attempt, as an integrity error, when a lock was altered into something that is not a time', async () => {
    for (let n = 1; n <= 6; n++) await attempt(HOME);
    await storage.close();
    const file = join(dir, `db-${files - 1}.sqlite`);
    const db = new BetterSqlite3(file);
    db.exec("update login_attempts set locked_until = 'soon'");
    db.close();
    storage = await openSqlite(file);
    throttle = new LoginThrottle(storage, () => now);
    for (let n = 0; n < 3; n++) {
      await expect(attempt(HOME)).rejects.toMatchObject({ status: 500, code: 'integrity_error' });
    }
    now += 60 * MINUTE;
    await expect(attempt(HOME)).rejects.toMatchObject({ code: 'integrity_error' });
  });

  it('forgets an address 75 minutes after its last attempt or lock, and not before', async () => {
    for (let n = 0; n < 5; n++) await fail(HOME);
    // Still remembered a minute before: the next attempt is the sixth.
    now += SECOND + 74 * MINUTE;
    await fail(HOME);
    expect(await attempt(HOME)).toBe(2 * SECOND);
    now += 2 * SECOND + 75 * MINUTE;
    for (let n = 0; n < 5; n++) await fail(HOME);
    expect(await attempt(HOME)).toBe(SECOND);
  });

  it('of 40 concurrent attempts on one email and address, exactly the five free ones go through', async () => {
    const waits = await Promise.all(Array.from({ length: 40 }, () => attempt(HOME)));
    expect(waits.filter((w) => w === 0)).toHaveLength(5);
    expect(waits.filter((w) => w === SECOND)).toHaveLength(35);
  });

  it('of 120 concurrent attempts on one email from 60 addresses, exactly the 50 free ones go through', async () => {
    const waits = await Promise.all(Array.from({ length: 120 }, (_, n) => attempt(`203.0.113.${n % 60}`)));
    expect(waits.filter((w) => w === 0)).toHaveLength(50);
  });
});
