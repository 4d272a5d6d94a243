import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { invalidInput } from '../../errors/app-error.js';
import { formatZodError } from '../../errors/zod.js';
import {
  CHARACTER_SETS,
  type CharacterSet,
  MAX_RECIPE_LENGTH,
  MIN_RECIPE_LENGTH,
  type PasswordRecipe,
} from './types.js';

/**
 * Password generation for fields sent with `generate: true` (Connect's `GeneratorRecipe`).
 * Every random choice goes through `crypto.randomInt`, which rejects out-of-range draws instead
 * of folding them, so each character is uniform over its pool.
 */

/**
 * The characters of each set. SYMBOLS is the printable ASCII punctuation minus the four
 * characters that need escaping almost everywhere a password gets pasted (JSON, shells, YAML,
 * .env files): `"` `'` `\` and the backtick. That leaves these 28:
 * `! # $ % & ( ) * + , - . / : ; < = > ? @ [ ] ^ _ { | } ~`
 */
export const CHARACTER_POOLS: Readonly<Record<CharacterSet, string>> = Object.freeze({
  LETTERS: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  DIGITS: '0123456789',
  SYMBOLS: '!#$%&()*+,-./:;<=>?@[]^_{|}~',
});

/** Longest `excludeCharacters` accepted; the whole pool is 90 characters. */
const MAX_EXCLUDE = 256;

/** Connect's defaults: 32 characters from all three sets, nothing excluded. */
export const DEFAULT_RECIPE: Readonly<PasswordRecipe> = Object.freeze({
  length: 32,
  characterSets: Object.freeze([...CHARACTER_SETS]) as CharacterSet[],
  excludeCharacters: '',
});

/** `null` is how some clients spell "not set"; treat it like an absent key. */
const orAbsent = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === null ? undefined : value), schema.optional());

/** The recipe as clients send it; `parseRecipe` applies defaults and checks the pool. */
export const recipeInputSchema = z.strictObject({
  length: orAbsent(z.number().int().min(MIN_RECIPE_LENGTH).max(MAX_RECIPE_LENGTH)),
  characterSets: orAbsent(
    z
      .array(z.enum(CHARACTER_SETS))
      .refine((sets) => sets.length > 0, `must name at least one of ${CHARACTER_SETS.join(', ')}`)
      .refine((sets) => new Set(sets).size === sets.length, 'must not name a character set twice'),
  ),
  excludeCharacters: orAbsent(z.string().max(MAX_EXCLUDE)),
});

/**
 * Validates a client-supplied recipe (absent/null → all defaults) and returns a complete one.
 * `path` prefixes error messages (e.g. `fields[2].recipe`). Throws `invalid_input` when the
 * shape is wrong or when the exclusions leave a requested set without characters.
 */
export function parseRecipe(raw: unknown, path: string): PasswordRecipe {
  const parsed = recipeInputSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!parsed.success) throw invalidInput(formatZodError(parsed.error, path));
  const recipe: PasswordRecipe = {
    length: parsed.data.length ?? DEFAULT_RECIPE.length,
    characterSets: parsed.data.characterSets ?? [...DEFAULT_RECIPE.characterSets],
    excludeCharacters: parsed.data.excludeCharacters ?? DEFAULT_RECIPE.excludeCharacters,
  };
  setPools(recipe, path);
  return recipe;
}

/**
 * A password following `recipe`, and its entropy in bits.
 *
 * When the length allows, each requested set is guaranteed a character: distinct positions are
 * drawn uniformly, one per set, and filled from that set; every other position is drawn from the
 * whole pool. Entropy is reported as a lower bound, so it never overstates strength: the bits of
 * the guaranteed characters plus the bits of the free ones (the randomness of the positions is
 * not counted), floored to 2 decimals. With a single set this equals `length × log2(set size)`.
 */
export function generatePassword(recipe: PasswordRecipe): { value: string; entropy: number } {
  if (
    !Number.isInteger(recipe.length) ||
    recipe.length < MIN_RECIPE_LENGTH ||
    recipe.length > MAX_RECIPE_LENGTH
  ) {
    throw invalidInput(
      `recipe.length: must be an integer from ${MIN_RECIPE_LENGTH} to ${MAX_RECIPE_LENGTH}, got ${recipe.length}`,
    );
  }
  const sets = setPools(recipe, 'recipe');
  const pool = sets.flat();
  const chars = Array.from({ length: recipe.length }, () => pick(pool));
  let bits = recipe.length * Math.log2(pool.length);

  if (recipe.length >= sets.length) {
    const positions = choosePositions(recipe.length, sets.length);
    bits = (recipe.length - sets.length) * Math.log2(pool.length);
    sets.forEach((set, i) => {
      chars[positions[i] as number] = pick(set);
      bits += Math.log2(set.length);
    });
  }
  return { value: chars.join(''), entropy: Math.floor(bits * 100) / 100 };
}

/** The characters left in each requested set after exclusions; refuses an emptied set. */
function setPools(recipe: PasswordRecipe, path: string): string[][] {
  if (recipe.characterSets.length === 0) {
    throw invalidInput(`${path}.characterSets: must name at least one of ${CHARACTER_SETS.join(', ')}`);
  }
  const excluded = new Set(recipe.excludeCharacters);
  return recipe.characterSets.map((name) => {
    const left = [...CHARACTER_POOLS[name]].filter((c) => !excluded.has(c));
    if (left.length === 0) {
      throw invalidInput(
        `${path}.excludeCharacters: excludes every character of ${name}; drop ${name} from characterSets or exclude fewer characters`,
      );
    }
    return left;
  });
}

/** `count` distinct indexes below `length`, uniformly: the head of a partial Fisher–Yates shuffle. */
function choosePositions(length: number, count: number): number[] {
  const indexes = Array.from({ length }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + randomInt(length - i);
    [indexes[i], indexes[j]] = [indexes[j] as number, indexes[i] as number];
  }
  return indexes.slice(0, count);
}

function pick(chars: readonly string[]): string {
  return chars[randomInt(chars.length)] as string;
}
