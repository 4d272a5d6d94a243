import type { z } from 'zod';

/**
 * One-line, client-facing messages for zod issues: `"<path>: <what is wrong>"`, path segments
 * joined with `.` (`fields.0.type: must be one of STRING, EMAIL, … (got "FOO")`).
 *
 * Messages reach API clients and logs, so they echo the offending input only when it is short
 * (≤ 40 characters) and never at all under a key named `value` — that is where item secrets live.
 * Parse with `{ reportInput: true }` so issues carry their input; without it messages still name
 * the path and the rule, just not what was received.
 */

/** Longest input echoed back in a message; longer inputs are described, not quoted. */
const MAX_ECHO = 40;

type Issue = z.core.$ZodIssue;
type PathSegment = PropertyKey;

/** A message for the first issue of `error` (zod orders issues by position in the input). */
export function formatZodError(error: z.ZodError, basePath = ''): string {
  const [first] = error.issues;
  return first === undefined
    ? basePath
      ? `${basePath}: invalid`
      : 'invalid'
    : zodIssueMessage(first, basePath);
}

/** The message for one issue; `basePath` is prepended to the issue's own path. */
export function zodIssueMessage(issue: Issue, basePath = ''): string {
  const path = joinPath(basePath, issue.path);
  const text = describe(issue);
  return path ? `${path}: ${text}` : text;
}

function joinPath(basePath: string, path: readonly PathSegment[]): string {
  const rest = path.map((segment) => String(segment)).join('.');
  if (!basePath) return rest;
  return rest ? `${basePath}.${rest}` : basePath;
}

/**
 * zod's own English messages start like this; anything else was written by the schema's author
 * for clients (`.regex(re, 'must be a 26-character id …')`) and is used as it is.
 */
const ZOD_DEFAULT_MESSAGE =
  /^(Invalid (input|string|option|key|element|value|type|format|union|discriminator)\b|Too (big|small)|Unrecognized key|Expected)/;

function describe(issue: Issue): string {
  if (issue.code !== 'custom' && issue.message && !ZOD_DEFAULT_MESSAGE.test(issue.message))
    return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return invalidType(issue);
    case 'unrecognized_keys':
      return unknownKeys(issue.keys);
    case 'invalid_value':
      return `must be one of ${issue.values.map(showAllowed).join(', ')}${got(issue)}`;
    case 'too_big':
      return tooBig(issue);
    case 'too_small':
      return tooSmall(issue);
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern
        ? `must match ${issue.pattern}${got(issue)}`
        : `must be a valid ${issue.format}${got(issue)}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}${got(issue)}`;
    case 'invalid_union':
      return 'does not match any of the accepted forms';
    default:
      // custom refinements carry a message written for clients; other rare codes keep zod's text.
      return issue.message;
  }
}

function invalidType(issue: z.core.$ZodIssueInvalidType): string {
  const expected = issue.expected === 'int' ? 'integer' : issue.expected;
  if (!('input' in issue)) return `expected ${expected}`;
  if (issue.input === undefined) return `required (expected ${expected})`;
  const received = typeName(issue.input);
  // "expected integer, got number (1.5)" needs the value; otherwise the type says enough.
  return received === 'number'
    ? `expected ${expected}, got number${got(issue, false)}`
    : `expected ${expected}, got ${received}`;
}

function unknownKeys(keys: readonly string[]): string {
  const names = keys.map((key) => quote(key)).join(', ');
  return keys.length === 1 ? `unknown field ${names}` : `unknown fields ${names}`;
}

function tooBig(issue: z.core.$ZodIssueTooBig): string {
  const max = String(issue.maximum);
  const bound = issue.inclusive === false ? `less than ${max}` : `at most ${max}`;
  switch (issue.origin) {
    case 'string':
      return `must be ${bound} characters long`;
    case 'array':
    case 'set':
      return `must have ${bound} items`;
    default:
      return `must be ${bound}${got(issue)}`;
  }
}

function tooSmall(issue: z.core.$ZodIssueTooSmall): string {
  const min = String(issue.minimum);
  const bound = issue.inclusive === false ? `more than ${min}` : `at least ${min}`;
  switch (issue.origin) {
    case 'string':
      return Number(issue.minimum) === 1 && issue.inclusive !== false
        ? 'must not be empty'
        : `must be ${bound} characters long`;
    case 'array':
    case 'set':
      return `must have ${bound} items`;
    default:
      return `must be ${bound}${got(issue)}`;
  }
}

/** ` (got "FOO")`, or nothing when the input is secret, long, structured or not reported. */
function got(issue: Issue, withParens = true): string {
  if (!('input' in issue) || isValuePath(issue.path)) return '';
  const shown = echo(issue.input);
  if (shown === undefined) return '';
  return withParens ? ` (got ${shown})` : ` (${shown})`;
}

/** Keys whose values are secrets: never echoed, whatever the rule that failed. */
const SECRET_KEYS = new Set(['value', 'password', 'secret', 'token', 'clientSecret', 'client_secret']);

function isValuePath(path: readonly PathSegment[]): boolean {
  const last = path[path.length - 1];
  return typeof last === 'string' && SECRET_KEYS.has(last);
}

function echo(input: unknown): string | undefined {
  if (typeof input === 'string') return input.length <= MAX_ECHO ? quote(input) : undefined;
  if (typeof input === 'number' || typeof input === 'boolean') {
    const text = String(input);
    return text.length <= MAX_ECHO ? text : undefined;
  }
  return undefined;
}

function showAllowed(value: unknown): string {
  // Enum members are printed bare (STRING, EMAIL); the empty string needs quotes to be visible.
  if (value === '') return '""';
  return typeof value === 'string' ? value : String(value);
}

function quote(text: string): string {
  return JSON.stringify(text.length <= MAX_ECHO ? text : `${text.slice(0, MAX_ECHO)}…`);
}

function typeName(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}
