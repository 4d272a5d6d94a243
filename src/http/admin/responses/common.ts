import { z } from 'zod';
import { ERROR_CODES } from '../../../errors/app-error.js';

/**
 * What the admin API answers, as zod schemas in this folder, one file per area: the documented
 * success bodies of the OpenAPI document (../openapi.ts). Objects are strict, so the test that
 * drives every route (test/http/admin-openapi.test.ts) fails on a member an answer has and these
 * files do not say. Each follows the domain type named beside it. Here: what they all share.
 */

/** RFC 3339 UTC, as `toISOString` writes it. */
export const time = z.iso.datetime().meta({ description: 'RFC 3339 UTC date-time' });
export const id = z.string().regex(/^[a-z0-9]{26}$/);
export const clientId = z.string().regex(/^kc-[a-z0-9]{26}$/);

/** The error body of every 4xx and 5xx answer (errors/admin-format.ts `AdminErrorBody`). */
export const errorBody = z
  .strictObject({
    status: z.number().int().min(400).max(599),
    code: z.enum(ERROR_CODES),
    message: z.string(),
  })
  .meta({ id: 'Error', description: 'See docs/errors.md for every code.' });
