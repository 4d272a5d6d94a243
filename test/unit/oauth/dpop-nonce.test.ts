import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DPoPNonces } from '../../../src/domain/oauth/dpop-nonce.js';

const WINDOW = 5 * 60 * 1000;

describe('DPoP nonces', () => {
  const key = randomBytes(32);
  const nonces = new DPoPNonces(key);
  const start = 1_800_000_000_000 - (1_800_000_000_000 % WINDOW);

  it('are accepted in their window and the next one, not after', () => {
    const nonce = nonces.current('acct', start);
    expect(nonces.accepts('acct', nonce, start + WINDOW - 1)).toBe(true);
    expect(nonces.accepts('acct', nonce, start + WINDOW)).toBe(true);
    expect(nonces.accepts('acct', nonce, start + 2 * WINDOW - 1)).toBe(true);
    expect(nonces.accepts('acct', nonce, start + 2 * WINDOW)).toBe(false);
    expect(nonces.accepts('acct', nonce, start - 1)).toBe(false);
  });

  it('are the same from every holder of the key, and another account’s or key’s are refused', () => {
    const nonce = nonces.current('acct', start);
    expect(new DPoPNonces(Buffer.from(key)).current('acct', start)).toBe(nonce);
    expect(new DPoPNonces(Buffer.from(key)).accepts('acct', nonce, start)).toBe(true);
    expect(nonces.accepts('other', nonce, start)).toBe(false);
    expect(new DPoPNonces(randomBytes(32)).accepts('acct', nonce, start)).toBe(false);
  });

  it('are made once per window and account, and a new window gives a new one', () => {
    const kept = new DPoPNonces(key);
    const first = kept.current('acct', start);
    expect(kept.current('acct', start + WINDOW - 1)).toBe(first);
    expect(kept.current('other', start)).not.toBe(first);
    const next = kept.current('acct', start + WINDOW);
    expect(next).not.toBe(first);
    expect(next).toBe(new DPoPNonces(Buffer.from(key)).current('acct', start + WINDOW));
    // Asked about an earlier moment again (a clock step back), it answers that window's nonce.
    expect(kept.current('acct', start)).toBe(first);
  });

  it('refuse anything that is not a nonce of this shape', () => {
    const nonce = nonces.current('acct', start);
    for (const bad of ['', `${nonce}A`, nonce.slice(1), `${nonce.slice(0, -1)}+`, 'é'.repeat(22)]) {
      expect(nonces.accepts('acct', bad, start)).toBe(false);
    }
  });
});
