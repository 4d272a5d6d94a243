import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ID_PATTERN, isId, newId } from '../../src/crypto/ids.js';
import { randomBytesPooled } from '../../src/crypto/random-pool.js';
import { hashSecret, newBearerSecret, safeEqual } from '../../src/crypto/secrets.js';

describe('ids', () => {
  it('are 26 characters of [a-z0-9] and do not repeat', () => {
    const ids = new Set(Array.from({ length: 5000 }, newId));
    expect(ids.size).toBe(5000);
    for (const id of ids) expect(id).toMatch(ID_PATTERN);
  });

  it('use every character of the alphabet roughly evenly (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) for (const c of newId()) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(36);
    const expected = (4000 * 26) / 36;
    for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.15);
  });

  it('isId rejects anything else', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(isId(s)).toBe(/^[a-z0-9]{26}$/.test(s));
      }),
    );
    expect(isId('A'.repeat(26))).toBe(false);
    expect(isId(`${newId()}\n`)).toBe(false);
  });
});

describe('bearer secrets', () => {
  it('carry their prefix and 256 bits of randomness', () => {
    const s = newBearerSecret('khadm');
    expect(s).toMatch(/^khadm_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s.slice(6), 'base64url')).toHaveLength(32);
  });

  it('are stored as SHA-256 and compared in constant time', () => {
    const s = newBearerSecret('x');
    expect(hashSecret(s)).toHaveLength(32);
    expect(safeEqual(hashSecret(s), hashSecret(s))).toBe(true);
    expect(safeEqual(hashSecret(s), hashSecret(`${s}y`))).toBe(false);
    expect(safeEqual(Buffer.from('ab'), Buffer.from('abc'))).toBe(false);
  });
});

describe('pooled randomness', () => {
  it('never hands out the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(randomBytesPooled(32).toString('hex'));
    expect(seen.size).toBe(1000);
  });

  it('returns the caller its own copy', () => {
    const a = randomBytesPooled(16);
    const copy = Buffer.from(a);
    randomBytesPooled(4000);
    expect(a.equals(copy)).toBe(true);
  });

  it('refuses more than a pool at once', () => {
    expect(() => randomBytesPooled(4097)).toThrow(RangeError);
  });
});
