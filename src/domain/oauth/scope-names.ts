import { invalidInput } from '../../errors/app-error.js';

/**
 * Scope names: the syntax the catalog accepts at registration, the syntax a request's `scope`
 * parameter may use, and how a registered (possibly dynamic) scope matches a requested one.
 *
 * Matching is exact and case-sensitive on purpose: the seed's lockout started with a client
 * registered with `Vault:Read` against a catalog defining `vault:read`. Near-misses are named in
 * error messages (see near-miss.ts), never silently accepted.
 */

/** Longest scope name the catalog accepts, and longest value a dynamic `*` segment may take. */
export const MAX_SCOPE_NAME_LENGTH = 100;

/** The segment that makes a scope dynamic: `vault:*:read` matches `vault:<id>:read`. */
export const DYNAMIC_SEGMENT = '*';

const SEPARATOR = ':';

/** One fixed segment of a registered name, and the only values a `*` segment may take. */
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` — printable ASCII but `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Longest part of untrusted input echoed back in a message. */
const MAX_ECHO = 80;

const ALLOWED_NAME =
  'a scope name is 1–100 characters: segments separated by `:`, each made of letters, digits, ' +
  '`.`, `_` and `-`, and at most one segment that is exactly `*` for a dynamic scope such as `vault:*:read`';

/** A scope name accepted for registration. */
export interface ScopeName {
  name: string;
  /** Whether one segment is `*`, so that the scope matches concrete instances. */
  dynamic: boolean;
}

/**
 * Shows untrusted text inside a message: in backticks, cut to a readable length, with control
 * and line-separator characters escaped so that it cannot forge log lines or terminal output.
 */
export function quoted(value: string): string {
  const cut = value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  const safe = cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `\`${safe}\``;
}

/**
 * Validates a scope name for registration in the catalog (or in a client's allowed list).
 * Throws `invalid_input` naming the scope, what is wrong with it and what is allowed.
 */
export function parseScopeName(name: string): ScopeName {
  const problem = scopeNameProblem(name);
  if (problem !== undefined) {
    throw invalidInput(`Invalid scope name ${quoted(name)}: ${problem}; ${ALLOWED_NAME}`);
  }
  return { name, dynamic: name.split(SEPARATOR).includes(DYNAMIC_SEGMENT) };
}

/** Whether `name` would be accepted by {@link parseScopeName}. */
export function isValidScopeName(name: string): boolean {
  return scopeNameProblem(name) === undefined;
}

function scopeNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_SCOPE_NAME_LENGTH) return `it is ${name.length} characters long`;
  const segments = name.split(SEPARATOR);
  if (segments.includes('')) return 'it has an empty segment (a leading, trailing or doubled `:`)';
  for (const segment of segments) {
    if (segment === DYNAMIC_SEGMENT || SEGMENT.test(segment)) continue;
    if (segment.includes(DYNAMIC_SEGMENT))
      return `\`*\` must be a whole segment, not part of ${quoted(segment)}`;
    const bad = [...segment].find((c) => !SEGMENT.test(c)) ?? segment;
    return `segment ${quoted(segment)} contains ${quoted(bad)}, which is not allowed`;
  }
  const stars = segments.filter((s) => s === DYNAMIC_SEGMENT).length;
  if (stars > 1) return 'it has more than one `*` segment';
  // A bare `*` would match every one-segment scope of every resource server.
  if (stars === 1 && segments.length === 1) return 'a dynamic scope needs a fixed segment besides `*`';
  return undefined;
}

/** Whether `s` is an RFC 6749 §3.3 scope-token: what a request may carry, known or not. */
export function isScopeToken(s: string): boolean {
  return SCOPE_TOKEN.test(s);
}

/**
 * Splits a request's `scope` parameter (RFC 6749 §3.3: scope-tokens separated by single
 * spaces) into its scopes, deduplicated in first-seen order. Strict: an empty parameter, a
 * leading, trailing or doubled space, or a token outside the scope-token syntax throws
 * `invalid_input` naming it. An absent parameter is the caller's business.
 */
export function parseScopeParam(param: string): string[] {
  if (param === '') {
    throw invalidInput('The scope parameter is empty: omit it, or list scopes separated by single spaces');
  }
  const tokens = param.split(' ');
  for (const token of tokens) {
    if (token === '') {
      throw invalidInput(
        `The scope parameter ${quoted(param)} has an empty scope: separate scopes with single spaces, ` +
          'with none at the start or the end',
      );
    }
    if (!isScopeToken(token)) {
      throw invalidInput(
        `Invalid scope ${quoted(token)} in the scope parameter: a scope is printable ASCII ` +
          'other than space, `"` and `\\` (RFC 6749 §3.3)',
      );
    }
  }
  return [...new Set(tokens)];
}

/**
 * Whether a requested scope is the registered one: exact, case-sensitive equality, or — for a
 * dynamic registered scope — the same segments with `*` filled by one concrete segment
 * (`[A-Za-z0-9._-]`, at most 100 characters, never `*` and never spanning a `:`). A dynamic
 * scope also matches itself literally, which is how a client is allowed a dynamic scope.
 */
export function scopeMatches(registered: string, requested: string): boolean {
  return registered === requested || dynamicValue(registered, requested) !== undefined;
}

/**
 * The concrete value that fills the `*` of a dynamic registered scope in `requested`
 * (`vault:*:read`, `vault:8f3:read` → `8f3`), or `undefined` when `requested` is not a concrete
 * instance of it (including when it is the dynamic scope itself, `*` and all).
 */
export function dynamicValue(registered: string, requested: string): string | undefined {
  // -1 also for an invalid name (two `*`, a bare `*`): it never widens matching beyond equality.
  const star = dynamicSegmentIndex(registered);
  if (star === -1) return undefined;
  if (requested.length > registered.length - 1 + MAX_SCOPE_NAME_LENGTH) return undefined;
  const pattern = registered.split(SEPARATOR);
  const parts = requested.split(SEPARATOR);
  if (parts.length !== pattern.length) return undefined;
  for (const [i, part] of parts.entries()) {
    if (i !== star && part !== pattern[i]) return undefined;
  }
  const value = parts[star];
  return value !== undefined && isDynamicValue(value) ? value : undefined;
}

/** The index of the `*` segment of a valid dynamic scope name, or -1. */
export function dynamicSegmentIndex(name: string): number {
  return isValidScopeName(name) ? name.split(SEPARATOR).indexOf(DYNAMIC_SEGMENT) : -1;
}

/**
 * Whether `value` may fill the `*` of a dynamic scope. The length bound keeps issued scopes,
 * copied verbatim into tokens, from growing without limit.
 */
export function isDynamicValue(value: string): boolean {
  return value.length <= MAX_SCOPE_NAME_LENGTH && SEGMENT.test(value);
}
