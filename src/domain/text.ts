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

/** The longest display name a person may have, in UTF-16 units as JavaScript counts them. */
export const MAX_PERSON_NAME = 200;

/**
 * Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they let a
 * name reorder the text drawn after it (a consent page, a CSV cell, a terminal line).
 */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
/** Half of a surrogate pair on its own: JSON may carry one; no storage keeps it as it was. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A person's display name (the OpenID Connect `name` claim): a display name of at most
 * MAX_PERSON_NAME characters, in Unicode NFC, with no bidirectional controls or lone surrogates.
 */
export const personName = z
  .string()
  // Normalized first, so that the bound and the checks hold for the text as it is kept.
  .transform((s) => s.normalize('NFC'))
  .pipe(
    displayName(MAX_PERSON_NAME)
      .refine((s) => !BIDI_CONTROL.test(s), 'must not contain bidirectional control characters')
      .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode (no lone surrogate)'),
  );

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
