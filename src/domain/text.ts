import { z } from 'zod';

/** C0/C1 control characters and the Unicode line/paragraph separators: never valid in a name. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A single-line human-facing name (vault name, account name, token name): trimmed, non-empty,
 * bounded, and free of control characters that would corrupt logs, terminals or CSV exports.
 */
export const displayName = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters');

/** Free text that may span lines (descriptions): no NUL or other C0 controls except tab and newline. */
export const freeText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    .refine((s) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s), 'must not contain control characters');

export const emailAddress = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .regex(
    /^[^\s@"<>()\\,;:]+@[^\s@"<>()\\,;:]+\.[^\s@"<>()\\,;:]+$/,
    'must be an email address like ada@example.com',
  )
  // Emails are printed as they are (user list, whoami, audit labels): no terminal escapes.
  .refine((s) => !CONTROL.test(s), 'must not contain control characters');
