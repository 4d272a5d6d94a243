import type { z } from 'zod';
import { invalidInput } from '../errors/app-error.js';
import { formatZodError } from '../errors/zod.js';

/**
 * Validates untrusted request input against a zod schema. `where` prefixes the message
 * (`body`, `query`, `path`) so the client knows which part of the request was wrong.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw invalidInput(`${where}: ${formatZodError(result.error)}`);
  return result.data;
}
