import { DYNAMIC_SEGMENT, dynamicSegmentIndex, isDynamicValue, quoted, scopeMatches } from './scope-names.js';

/**
 * Near-misses: the known scope a refused name was probably meant to be, so that a refusal says
 * "did you mean `vault:read`?" instead of leaving an administrator to spot a capital letter.
 * Suggestions only ever appear in messages; nothing is ever matched by being close.
 */

/** Furthest a suggestion may be, and the tighter bound for short names (where 2 edits is most of it). */
const MAX_DISTANCE = 2;
const SHORT_NAME = 6;
const MAX_DISTANCE_SHORT = 1;

/**
 * Damerau-Levenshtein distance in its optimal-string-alignment form: insertions, deletions,
 * substitutions and transpositions of adjacent characters, each costing 1, no substring edited
 * twice. Counted in UTF-16 code units (catalog names are ASCII).
 */
export function osaDistance(a: string, b: string): number {
  if (a === b) return 0;
  // Three rows: two back (for transpositions), one back, and the current one.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      }
      current[j] = d;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length] ?? 0;
}

/**
 * What `candidate` is compared with for a known name: the name itself, or — for a dynamic known
 * name and a candidate with as many segments — the instance filled with the candidate's own
 * segment, so that `vualt:8f3:read` is compared with `vault:8f3:read`, not `vault:*:read`.
 */
function comparedWith(known: string, candidate: string): string {
  const star = dynamicSegmentIndex(known);
  if (star === -1) return known;
  const parts = candidate.split(':');
  const pattern = known.split(':');
  const value = parts[star];
  if (parts.length !== pattern.length || value === undefined) return known;
  if (value !== DYNAMIC_SEGMENT && !isDynamicValue(value)) return known;
  pattern[star] = value;
  return pattern.join(':');
}

/**
 * The known scope `candidate` was probably meant to be, or `undefined`. A name equal to the
 * candidate under case-folding wins; otherwise the one at the smallest distance (see
 * {@link osaDistance}, measured case-insensitively), at most 2, or 1 when either name is
 * shorter than 6 characters. Ties go to the earliest in `known`. For a dynamic known scope the
 * result is its instance with the candidate's value (`vualt:8f3:read` → `vault:8f3:read`), so
 * `scopeMatches(k, result)` holds for some `k` in `known`. Never the candidate itself, and
 * `undefined` when the candidate is known (it is no miss).
 */
export function nearMiss(candidate: string, known: readonly string[]): string | undefined {
  if (known.some((k) => scopeMatches(k, candidate))) return undefined;
  const folded = candidate.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const target = comparedWith(name, candidate);
    if (target === candidate) continue;
    const shortest = Math.min(candidate.length, target.length);
    const limit = shortest < SHORT_NAME ? MAX_DISTANCE_SHORT : MAX_DISTANCE;
    // Length alone rules most names out before the quadratic distance is computed.
    if (Math.abs(candidate.length - target.length) > limit) continue;
    // Case-fold equality is distance 0 here, so it wins over any spelling mistake.
    const distance = osaDistance(folded, target.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = target;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The suggestion part of an error message: `` (did you mean `vault:read`?)`` with a leading
 * space, or `''` when there is no near-miss.
 */
export function didYouMean(candidate: string, known: readonly string[]): string {
  const match = nearMiss(candidate, known);
  return match === undefined ? '' : ` (did you mean ${quoted(match)}?)`;
}
