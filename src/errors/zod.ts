import type { z } from 'zod';

/**
 * One-line, client-facing messages for zod issues: `"<path>: <what is wrong>"`, path segments
 * joined with `.` (`fields.0.type: must be one of STRING, EMAIL, …`).
 *
 * Messages reach API clients and logs, and what was received may be a secret or, in a merged
 * PATCH, a stored value the caller may not read: so a message names the path and the rule and
 * never quotes the input, only its JSON type. Parse with `{ reportInput: true }` so a missing
 * member reads "required".
 */

/** Longest unknown key quoted back in a message; longer keys are cut. */
const MAX_KEY = 40;

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
      return `must be one of ${issue.values.map(showAllowed).join(', ')}`;
    case 'too_big':
      return tooBig(issue);
    case 'too_small':
      return tooSmall(issue);
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern
        ? `must match ${issue.pattern}`
        : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
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
  return `expected ${expected}, got ${typeName(issue.input)}`;
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
      return `must be ${bound}`;
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
      return `must be ${bound}`;
  }
}

function showAllowed(value: unknown): string {
  // Enum members are printed bare (STRING, EMAIL); the empty string needs quotes to be visible.
  if (value === '') return '""';
  return typeof value === 'string' ? value : String(value);
}

function quote(text: string): string {
  return JSON.stringify(text.length <= MAX_KEY ? text : `${text.slice(0, MAX_KEY)}…`);
}

function typeName(input: unknown): string {
  if (input === null) return 'null';
  // What `z.coerce.number()` makes of text that is not a number (a query's `limit=abc`).
  if (typeof input === 'number' && Number.isNaN(input)) return 'text that is not a number';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}
