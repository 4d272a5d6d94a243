import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatZodError, zodIssueMessage } from '../../../src/errors/zod.js';

const schema = z.strictObject({
  name: z.string().min(1).max(5).optional(),
  kind: z.enum(['', 'A', 'B']).optional(),
  count: z.number().int().min(1).max(10).optional(),
  list: z
    .array(z.strictObject({ value: z.string().max(3), label: z.string().optional() }))
    .max(2)
    .optional(),
  code: z
    .string()
    .regex(/^[a-z]+$/)
    .optional(),
  either: z.union([z.string(), z.number()]).optional(),
  picky: z
    .string()
    .refine((s) => s !== 'no', 'must not be "no"')
    .optional(),
});

/** The message for parsing `input`, the way routes parse: with inputs reported. */
function message(input: unknown, basePath?: string): string {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) throw new Error('expected a parse failure');
  return formatZodError(result.error, basePath);
}

describe('formatZodError', () => {
  it('names unknown keys at the parent path', () => {
    expect(message({ nmae: 'x' })).toBe('unknown field "nmae"');
    expect(message({ nmae: 'x', extra: 1 })).toBe('unknown fields "nmae", "extra"');
    expect(message({ list: [{ value: 'a', lable: 'x' }] })).toBe('list.0: unknown field "lable"');
  });

  it('says a query value that is not a number is not one', () => {
    const query = z.strictObject({ limit: z.coerce.number().int() });
    const result = query.safeParse({ limit: 'secret-ish' }, { reportInput: true });
    expect(result.success).toBe(false);
    expect(formatZodError(result.error as z.ZodError)).toBe(
      'limit: expected number, got text that is not a number',
    );
  });

  it('lists the allowed values of an enum, never the bad one', () => {
    expect(message({ kind: 'C' })).toBe('kind: must be one of "", A, B');
  });

  it('describes wrong types, and missing values as required', () => {
    expect(message({ name: 5 })).toBe('name: expected string, got number');
    expect(message({ name: null })).toBe('name: expected string, got null');
    expect(message({ list: {} })).toBe('list: expected array, got object');
    expect(message('x')).toBe('expected object, got string');
    expect(message({ count: 1.5 })).toBe('count: expected integer, got number');
    const required = z.strictObject({ title: z.string() }).safeParse({}, { reportInput: true });
    expect(required.success ? '' : formatZodError(required.error)).toBe('title: required (expected string)');
  });

  it('states the limits of sizes and numbers', () => {
    expect(message({ name: '' })).toBe('name: must not be empty');
    expect(message({ name: 'abcdef' })).toBe('name: must be at most 5 characters long');
    expect(message({ count: 0 })).toBe('count: must be at least 1');
    expect(message({ count: 11 })).toBe('count: must be at most 10');
    expect(message({ list: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })).toBe(
      'list: must have at most 2 items',
    );
  });

  it('reports formats, unions and custom refinements', () => {
    expect(message({ code: 'ABC' })).toBe('code: must match /^[a-z]+$/');
    expect(message({ either: true })).toBe('either: does not match any of the accepted forms');
    expect(message({ picky: 'no' })).toBe('picky: must not be "no"');
  });

  it('never echoes inputs under a key named value', () => {
    expect(message({ list: [{ value: 'toolong' }] })).toBe('list.0.value: must be at most 3 characters long');
    expect(message({ list: [{ value: 12345 }] })).toBe('list.0.value: expected string, got number');
  });

  it('never echoes an input, short or long, under any key', () => {
    expect(message({ kind: 'C'.repeat(41) })).toBe('kind: must be one of "", A, B');
    expect(message({ code: 'ABC', name: 'abcdef' })).not.toContain('ABC');
    expect(message({ count: 11 })).not.toContain('11');
  });

  it('quotes an unknown key (a name, not a value), cut at 40 characters', () => {
    expect(message({ [`k${'x'.repeat(50)}`]: 1 })).toBe(`unknown field "k${'x'.repeat(39)}…"`);
  });

  it('prefixes a base path', () => {
    expect(message({ count: 0 }, 'fields[1].recipe')).toBe('fields[1].recipe.count: must be at least 1');
    expect(message({ nmae: 1 }, 'fields[1].recipe')).toBe('fields[1].recipe: unknown field "nmae"');
  });

  it('reports the first issue only', () => {
    expect(message({ name: '', count: 0 })).toBe('name: must not be empty');
  });

  it('omits the received input when the parse did not report it', () => {
    const result = schema.safeParse({ kind: 'C', name: 5 });
    if (result.success) throw new Error('expected a parse failure');
    expect(result.error.issues.map((issue) => zodIssueMessage(issue))).toEqual([
      'name: expected string',
      'kind: must be one of "", A, B',
    ]);
  });
});
