import { beforeEach, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/domain/login/throttle.js';

const ACCOUNT = 'acc';
const EMAIL = 'owner@example.com';
const HOME = '192.0.2.1';
const ATTACKER = '198.51.100.7';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;

describe('LoginThrottle', () => {
  let now: number;
  let throttle: LoginThrottle;
  const wait = (ip: string, email = EMAIL, account = ACCOUNT) => throttle.retryAfter(account, email, ip);
  /** A failed attempt made as soon as the throttle allows it: waits out any lock first. */
  const failWhenAllowed = (ip: string, email = EMAIL) => {
    now += wait(ip, email);
    expect(wait(ip, email)).toBe(0);
    throttle.fail(ACCOUNT, email, ip);
  };

  beforeEach(() => {
    now = 1_750_000_000_000;
    throttle = new LoginThrottle(() => now);
  });

  it('lets the first five failures through, then makes the address wait', () => {
    for (let n = 1; n <= 4; n++) {
      throttle.fail(ACCOUNT, EMAIL, HOME);
      expect(wait(HOME), `after failure ${n}`).toBe(0);
    }
    throttle.fail(ACCOUNT, EMAIL, HOME);
    expect(wait(HOME)).toBe(SECOND);
  });

  it('doubles the wait with every further failure, up to 15 minutes', () => {
    const delays: number[] = [];
    for (let n = 1; n <= 17; n++) {
      failWhenAllowed(HOME);
      delays.push(wait(HOME));
    }
    expect(delays).toEqual([
      0,
      0,
      0,
      0,
      ...[1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((s) => s * SECOND),
      15 * MINUTE,
      15 * MINUTE,
      15 * MINUTE,
    ]);
  });

  it('counts the wait down with the clock and lets the attempt through once it has passed', () => {
    for (let n = 0; n < 6; n++) failWhenAllowed(HOME);
    expect(wait(HOME)).toBe(2 * SECOND);
    now += 1_500;
    expect(wait(HOME)).toBe(500);
    now += 500;
    expect(wait(HOME)).toBe(0);
  });

  it('slows one address down without locking the owner out from another', () => {
    for (let n = 0; n < 8; n++) failWhenAllowed(ATTACKER);
    expect(wait(ATTACKER)).toBeGreaterThan(0);
    expect(wait(HOME)).toBe(0);
    // Other emails and other accounts are other keys.
    expect(wait(ATTACKER, 'someone@example.com')).toBe(0);
    expect(wait(ATTACKER, EMAIL, 'other-account')).toBe(0);
  });

  it('locks an email for every address once a distributed attack passes 50 failures', () => {
    // One failure from each of 49 addresses: no address and not the email is throttled yet.
    for (let n = 0; n < 49; n++) throttle.fail(ACCOUNT, EMAIL, `203.0.113.${n}`);
    expect(wait(HOME)).toBe(0);
    throttle.fail(ACCOUNT, EMAIL, '203.0.113.49');
    expect(wait(HOME)).toBe(SECOND);
    expect(wait('203.0.113.200')).toBe(SECOND);
    expect(wait(HOME, 'someone@example.com')).toBe(0);
    // Further failures double the email's wait like an address's.
    now += SECOND;
    throttle.fail(ACCOUNT, EMAIL, '203.0.113.50');
    expect(wait(HOME)).toBe(2 * SECOND);
    for (let n = 0; n < 30; n++) {
      now += wait(HOME);
      throttle.fail(ACCOUNT, EMAIL, `198.18.0.${n}`);
    }
    expect(wait(HOME)).toBe(15 * MINUTE);
  });

  it('clears the email and the address on a success', () => {
    for (let n = 0; n < 7; n++) failWhenAllowed(HOME);
    now += wait(HOME);
    throttle.succeed(ACCOUNT, EMAIL, HOME);
    expect(wait(HOME)).toBe(0);
    // The count starts again: five more failures are free.
    for (let n = 0; n < 4; n++) throttle.fail(ACCOUNT, EMAIL, HOME);
    expect(wait(HOME)).toBe(0);
    throttle.fail(ACCOUNT, EMAIL, HOME);
    expect(wait(HOME)).toBe(SECOND);
  });

  it('a success from the owner’s address clears the email, not the attacker’s address', () => {
    for (let n = 0; n < 45; n++) throttle.fail(ACCOUNT, EMAIL, `203.0.113.${n}`);
    for (let n = 0; n < 6; n++) failWhenAllowed(ATTACKER);
    expect(wait(HOME)).toBeGreaterThan(0);
    now += wait(HOME);
    throttle.succeed(ACCOUNT, EMAIL, HOME);
    expect(wait(HOME)).toBe(0);
    throttle.fail(ACCOUNT, EMAIL, ATTACKER);
    expect(wait(ATTACKER)).toBe(4 * SECOND);
    expect(wait(HOME)).toBe(0);
  });
});
