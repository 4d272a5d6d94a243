import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHARACTER_POOLS,
  DEFAULT_RECIPE,
  generatePassword,
  parseRecipe,
} from '../../../src/domain/items/recipe.js';
import { CHARACTER_SETS, type CharacterSet, type PasswordRecipe } from '../../../src/domain/items/types.js';
import { expectInvalid } from './helpers.js';

const ALL_CHARS = Object.values(CHARACTER_POOLS).join('');
const floor2 = (bits: number) => Math.floor(bits * 100) / 100;

describe('character pools', () => {
  it('are letters, digits and 28 printable ASCII symbols without quotes, backslash or backtick', () => {
    expect(CHARACTER_POOLS.LETTERS).toHaveLength(52);
    expect(CHARACTER_POOLS.DIGITS).toBe('0123456789');
    expect(CHARACTER_POOLS.SYMBOLS).toBe('!#$%&()*+,-./:;<=>?@[]^_{|}~');
    expect(new Set(ALL_CHARS).size).toBe(90);
    for (const c of CHARACTER_POOLS.SYMBOLS) expect(c.charCodeAt(0)).toBeGreaterThan(0x20);
  });
});

describe('parseRecipe', () => {
  it('applies the Connect defaults when the recipe is absent, null or empty', () => {
    const defaults = { length: 32, characterSets: ['LETTERS', 'DIGITS', 'SYMBOLS'], excludeCharacters: '' };
    expect(DEFAULT_RECIPE).toEqual(defaults);
    expect(Object.isFrozen(DEFAULT_RECIPE)).toBe(true);
    expect(parseRecipe(undefined, 'recipe')).toEqual(defaults);
    expect(parseRecipe(null, 'recipe')).toEqual(defaults);
    expect(parseRecipe({}, 'recipe')).toEqual(defaults);
    expect(parseRecipe({ length: null, characterSets: null, excludeCharacters: null }, 'recipe')).toEqual(
      defaults,
    );
  });

  it('returns a fresh recipe, never the shared default', () => {
    const recipe = parseRecipe(undefined, 'recipe');
    recipe.characterSets.push('LETTERS');
    expect(DEFAULT_RECIPE.characterSets).toEqual(['LETTERS', 'DIGITS', 'SYMBOLS']);
  });

  it('keeps what the client chose', () => {
    expect(parseRecipe({ length: 12, characterSets: ['DIGITS'], excludeCharacters: '01' }, 'r')).toEqual({
      length: 12,
      characterSets: ['DIGITS'],
      excludeCharacters: '01',
    });
  });

  it('refuses lengths outside 1–64 and non-integers', () => {
    expectInvalid(
      () => parseRecipe({ length: 0 }, 'fields[1].recipe'),
      'fields[1].recipe.length: must be at least 1',
    );
    expectInvalid(
      () => parseRecipe({ length: 65 }, 'fields[1].recipe'),
      'fields[1].recipe.length: must be at most 64',
    );
    expectInvalid(() => parseRecipe({ length: 7.5 }, 'r'), 'r.length: expected integer, got number');
    expectInvalid(() => parseRecipe({ length: '12' }, 'r'), 'r.length: expected number, got string');
    expect(parseRecipe({ length: 1 }, 'r').length).toBe(1);
    expect(parseRecipe({ length: 64 }, 'r').length).toBe(64);
  });

  it('refuses unknown, repeated or missing character sets', () => {
    expectInvalid(
      () => parseRecipe({ characterSets: ['LETTERS', 'EMOJI'] }, 'r'),
      'r.characterSets.1: must be one of LETTERS, DIGITS, SYMBOLS',
    );
    expectInvalid(
      () => parseRecipe({ characterSets: ['DIGITS', 'DIGITS'] }, 'r'),
      'r.characterSets: must not name a character set twice',
    );
    expectInvalid(
      () => parseRecipe({ characterSets: [] }, 'r'),
      'r.characterSets: must name at least one of LETTERS, DIGITS, SYMBOLS',
    );
  });

  it('refuses unknown keys and non-objects', () => {
    expectInvalid(() => parseRecipe({ size: 3 }, 'r'), 'r: unknown field "size"');
    expectInvalid(() => parseRecipe('strong', 'r'), 'r: expected object, got string');
  });

  it('refuses exclusions that empty a requested set', () => {
    expectInvalid(
      () =>
        parseRecipe(
          { characterSets: ['LETTERS', 'DIGITS'], excludeCharacters: '0123456789' },
          'fields[0].recipe',
        ),
      'fields[0].recipe.excludeCharacters: excludes every character of DIGITS; drop DIGITS from characterSets or exclude fewer characters',
    );
    // The same exclusions are fine when DIGITS was not asked for.
    expect(
      parseRecipe({ characterSets: ['LETTERS'], excludeCharacters: '0123456789' }, 'r').characterSets,
    ).toEqual(['LETTERS']);
  });
});

describe('generatePassword', () => {
  const recipeArb = fc
    .record({
      length: fc.integer({ min: 1, max: 64 }),
      characterSets: fc.shuffledSubarray([...CHARACTER_SETS], { minLength: 1 }),
      excludeCharacters: fc.string({ unit: fc.constantFrom(...ALL_CHARS, 'é', ' ', '"'), maxLength: 40 }),
    })
    .filter((recipe: PasswordRecipe) =>
      recipe.characterSets.every((set) =>
        [...CHARACTER_POOLS[set]].some((c) => !recipe.excludeCharacters.includes(c)),
      ),
    );

  it('honours length, sets and exclusions, and includes every requested set when it fits', () => {
    fc.assert(
      fc.property(recipeArb, (recipe) => {
        const { value, entropy } = generatePassword(recipe);
        expect(value).toHaveLength(recipe.length);
        const allowed = recipe.characterSets.map((set) => CHARACTER_POOLS[set]).join('');
        for (const c of value) {
          expect(allowed).toContain(c);
          expect(recipe.excludeCharacters).not.toContain(c);
        }
        if (recipe.length >= recipe.characterSets.length) {
          for (const set of recipe.characterSets) {
            expect([...value].some((c) => CHARACTER_POOLS[set].includes(c))).toBe(true);
          }
        }
        expect(entropy).toBeGreaterThanOrEqual(0);
        expect(entropy).toBeLessThanOrEqual(recipe.length * Math.log2(allowed.length) + 1e-9);
      }),
      { numRuns: 500 },
    );
  });

  it('reports length × log2(set size) for a single set, floored to 2 decimals', () => {
    const digits = generatePassword({ length: 10, characterSets: ['DIGITS'], excludeCharacters: '' });
    expect(digits.entropy).toBe(33.21); // 10 × log2(10) = 33.219…
    const letters = generatePassword({ length: 8, characterSets: ['LETTERS'], excludeCharacters: 'abc' });
    expect(letters.entropy).toBe(floor2(8 * Math.log2(49))); // 44.91…
    expect(letters.entropy).toBe(44.91);
  });

  it('does not count the randomness of the guaranteed positions (a lower bound)', () => {
    const { entropy } = generatePassword(DEFAULT_RECIPE);
    const bits = Math.log2(52) + Math.log2(10) + Math.log2(28) + 29 * Math.log2(90);
    expect(entropy).toBe(floor2(bits));
    expect(entropy).toBe(202.09);
    expect(entropy).toBeLessThan(32 * Math.log2(90));
  });

  it('draws every position from the pool when the length is shorter than the number of sets', () => {
    const { value, entropy } = generatePassword({ length: 2, ...threeSets });
    expect(value).toHaveLength(2);
    expect(entropy).toBe(floor2(2 * Math.log2(90))); // 12.98
  });

  it('has zero entropy when only one character is left', () => {
    expect(
      generatePassword({ length: 5, characterSets: ['DIGITS'], excludeCharacters: '012345689' }),
    ).toEqual({
      value: '77777',
      entropy: 0,
    });
  });

  it('places the guaranteed characters at random positions', () => {
    const digitAt = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const { value } = generatePassword({
        length: 2,
        characterSets: ['LETTERS', 'DIGITS'],
        excludeCharacters: '',
      });
      // Both positions are taken by guaranteed characters: exactly one letter and one digit.
      const index = [...value].findIndex((c) => CHARACTER_POOLS.DIGITS.includes(c));
      expect(CHARACTER_POOLS.LETTERS).toContain(value[1 - index]);
      digitAt.add(index);
    }
    expect(digitAt).toEqual(new Set([0, 1]));
  });

  it('draws characters uniformly', () => {
    const counts = new Map<string, number>();
    const runs = 200;
    for (let i = 0; i < runs; i++) {
      for (const c of generatePassword({ length: 64, characterSets: ['DIGITS'], excludeCharacters: '' })
        .value) {
        counts.set(c, (counts.get(c) ?? 0) + 1);
      }
    }
    const expected = (runs * 64) / 10; // 1280 each; σ ≈ 34, so ±15 % is more than 5σ.
    expect(counts.size).toBe(10);
    for (const count of counts.values()) expect(Math.abs(count - expected)).toBeLessThan(expected * 0.15);
  });

  it('refuses recipes that were not validated', () => {
    expectInvalid(
      () => generatePassword({ length: 0, ...threeSets }),
      'recipe.length: must be an integer from 1 to 64, got 0',
    );
    expectInvalid(
      () => generatePassword({ length: 8, characterSets: [], excludeCharacters: '' }),
      'recipe.characterSets: must name at least one of LETTERS, DIGITS, SYMBOLS',
    );
    expectInvalid(
      () =>
        generatePassword({
          length: 8,
          characterSets: ['SYMBOLS'],
          excludeCharacters: CHARACTER_POOLS.SYMBOLS,
        }),
      'recipe.excludeCharacters: excludes every character of SYMBOLS; drop SYMBOLS from characterSets or exclude fewer characters',
    );
  });
});

const threeSets: { characterSets: CharacterSet[]; excludeCharacters: string } = {
  characterSets: ['LETTERS', 'DIGITS', 'SYMBOLS'],
  excludeCharacters: '',
};
