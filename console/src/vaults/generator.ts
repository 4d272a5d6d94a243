/**
 * The password generator of the item form: the rules of the API's own recipe
 * (src/domain/items/recipe.ts, Connect's `GeneratorRecipe`): the same three character pools,
 * length 1 to 64, and one character of each chosen set at a random position when the length
 * allows. It runs here, with `crypto.getRandomValues`, so the person sees the password before
 * saving it; every draw rejects out-of-range values instead of folding them (no modulo bias).
 */
export const POOLS = {
  LETTERS: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  DIGITS: '0123456789',
  SYMBOLS: '!#$%&()*+,-./:;<=>?@[]^_{|}~',
} as const;
export type CharacterSet = keyof typeof POOLS;

export interface Recipe {
  length: number;
  letters: boolean;
  digits: boolean;
  symbols: boolean;
}

export const DEFAULT_RECIPE: Recipe = { length: 32, letters: true, digits: true, symbols: true };
export const MIN_LENGTH = 1;
export const MAX_LENGTH = 64;

/** A uniform integer in [0, n). */
function below(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const word = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(word);
    const x = word[0] as number;
    if (x < limit) return x % n;
  }
}

const pick = (chars: string) => chars[below(chars.length)] as string;

export function setsOf(recipe: Recipe): CharacterSet[] {
  const sets: CharacterSet[] = [];
  if (recipe.letters) sets.push('LETTERS');
  if (recipe.digits) sets.push('DIGITS');
  if (recipe.symbols) sets.push('SYMBOLS');
  return sets;
}

/** A password following `recipe`; undefined when no set is chosen or the length is out of range. */
export function generate(recipe: Recipe): string | undefined {
  const sets = setsOf(recipe).map((s) => POOLS[s]);
  const { length } = recipe;
  if (sets.length === 0 || !Number.isInteger(length) || length < MIN_LENGTH || length > MAX_LENGTH)
    return undefined;
  const pool = sets.join('');
  const chars = Array.from({ length }, () => pick(pool));
  if (length >= sets.length) {
    // Distinct positions, one per set (a partial Fisher–Yates shuffle of the positions).
    const positions = Array.from({ length }, (_, i) => i);
    sets.forEach((set, i) => {
      const j = i + below(length - i);
      [positions[i], positions[j]] = [positions[j] as number, positions[i] as number];
      chars[positions[i] as number] = pick(set);
    });
  }
  return chars.join('');
}
