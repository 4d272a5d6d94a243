import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { didYouMean, nearMiss, osaDistance } from '../../../src/domain/oauth/near-miss.js';
import { scopeMatches } from '../../../src/domain/oauth/scope-names.js';

/** The textbook full-matrix optimal string alignment distance, to check the three-row version. */
function referenceOsa(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.NaN;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}

const VAULT_API = ['vault:read', 'vault:write', 'vault:*:read', 'vault:*:write'];
const VAULT_ID = '8f3k2m9q7x1c5v0b4n6z2l8p3r';

describe('osaDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['vault:read', 'vault:read', 0],
    ['vault:read', 'vault:raed', 1], // one transposition, not two substitutions
    ['vault:read', 'Vault:Read', 2],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3], // OSA, not unrestricted Damerau-Levenshtein (which says 2)
  ])('%j ↔ %j is %d', (a, b, expected) => {
    expect(osaDistance(a, b)).toBe(expected);
    expect(osaDistance(b, a)).toBe(expected);
  });

  it('agrees with the full-matrix definition (property)', () => {
    const short = fc.string({ maxLength: 9, unit: fc.constantFrom('a', 'b', 'c', ':') });
    fc.assert(
      fc.property(short, short, (a, b) => {
        expect(osaDistance(a, b)).toBe(referenceOsa(a, b));
      }),
      { numRuns: 500 },
    );
  });
});

describe('nearMiss', () => {
  it('names the catalog scope of the seed’s lockout: `Vault:Read` is `vault:read`', () => {
    expect(nearMiss('Vault:Read', VAULT_API)).toBe('vault:read');
    expect(nearMiss('VAULT:WRITE', VAULT_API)).toBe('vault:write');
  });

  it('prefers case-fold equality over a closer spelling that comes first', () => {
    // `VAULT:READ` is one edit from `vault:reads` once folded, zero from `vault:read`.
    expect(nearMiss('VAULT:READ', ['vault:reads', 'vault:read'])).toBe('vault:read');
  });

  it.each([
    ['vault:raed', 'vault:read'], // transposition
    ['vault:reed', 'vault:read'], // substitution
    ['vault:reads', 'vault:read'], // insertion
    ['vault:rad', 'vault:read'], // deletion
    ['vualt:reed', 'vault:read'], // two edits on a long name
    ['Vault:Raed', 'vault:read'], // case and a typo
    ['vault:wirte', 'vault:write'],
    ['emial', 'email'], // one edit on a short name
    ['opnid', 'openid'],
  ])('suggests %j → %j', (candidate, expected) => {
    expect(nearMiss(candidate, [...VAULT_API, 'openid', 'email'])).toBe(expected);
  });

  it.each([
    ['vualt:reeds'], // three edits
    ['eml'], // two edits on a short name
    ['opnd'], // two edits, 4 characters
    ['billing:read'],
    [''],
  ])('suggests nothing for %j', (candidate) => {
    expect(nearMiss(candidate, [...VAULT_API, 'openid', 'email'])).toBeUndefined();
  });

  it('gives ties to the earliest known name', () => {
    expect(nearMiss('vault:rxad', ['vault:read', 'vault:road'])).toBe('vault:read');
    expect(nearMiss('vault:rxad', ['vault:road', 'vault:read'])).toBe('vault:road');
    expect(nearMiss('vault:READ', ['Vault:read', 'vault:read'])).toBe('Vault:read');
  });

  it('suggests nothing for a known scope or a concrete instance of a known dynamic one', () => {
    expect(nearMiss('vault:read', VAULT_API)).toBeUndefined();
    expect(nearMiss(`vault:${VAULT_ID}:read`, VAULT_API)).toBeUndefined();
    expect(nearMiss('vault:*:read', VAULT_API)).toBeUndefined();
    expect(nearMiss('x', [])).toBeUndefined();
  });

  it('compares a concrete instance with the dynamic scope filled with its own value', () => {
    // Against `vault:*:read` itself these are 27+ edits apart; filled in, one.
    expect(nearMiss(`vualt:${VAULT_ID}:read`, VAULT_API)).toBe(`vault:${VAULT_ID}:read`);
    expect(nearMiss(`vault:${VAULT_ID}:wrte`, VAULT_API)).toBe(`vault:${VAULT_ID}:write`);
    expect(nearMiss(`Vault:${VAULT_ID}:Read`, VAULT_API)).toBe(`vault:${VAULT_ID}:read`);
    expect(nearMiss('Vault:*:Read', VAULT_API)).toBe('vault:*:read');
  });

  it('does not fill a dynamic scope with a value that could not fill it', () => {
    expect(nearMiss('vualt:a b:read', ['vault:*:read'])).toBeUndefined();
  });

  const name = fc.string({
    minLength: 1,
    maxLength: 12,
    unit: fc.constantFrom('a', 'B', 'c', 'D', ':', '*'),
  });

  it('never returns the candidate, nor anything further than 2 edits (case-folded) (property)', () => {
    fc.assert(
      fc.property(name, fc.array(name, { maxLength: 8 }), (candidate, known) => {
        const match = nearMiss(candidate, known);
        if (match === undefined) return;
        expect(match).not.toBe(candidate);
        expect(osaDistance(candidate.toLowerCase(), match.toLowerCase())).toBeLessThanOrEqual(2);
        expect(known.some((k) => scopeMatches(k, match))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('always finds a known name from a case variant of it (property)', () => {
    const lower = fc.stringMatching(/^[a-z]{1,8}(:[a-z]{1,8}){0,2}$/);
    fc.assert(
      fc.property(lower, fc.array(fc.boolean(), { minLength: 26, maxLength: 26 }), (known, upper) => {
        const candidate = [...known].map((c, i) => ((upper[i] ?? false) ? c.toUpperCase() : c)).join('');
        fc.pre(candidate !== known);
        expect(nearMiss(candidate, ['other:scope', known])).toBe(known);
      }),
    );
  });
});

describe('didYouMean', () => {
  it('is the parenthesised hint for an error message, or nothing', () => {
    expect(didYouMean('Vault:Read', VAULT_API)).toBe(' (did you mean `vault:read`?)');
    expect(didYouMean('billing:read', VAULT_API)).toBe('');
    expect(`Unknown scope \`Vault:Read\`${didYouMean('Vault:Read', VAULT_API)}`).toBe(
      'Unknown scope `Vault:Read` (did you mean `vault:read`?)',
    );
  });
});
