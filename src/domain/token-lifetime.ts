import { z } from 'zod';

/**
 * How long a new Connect or admin token may live, in seconds: one minute to ten years of 366
 * days. The admin API refuses anything else and `--expires-in` checks the same bounds first.
 */
export const MIN_TOKEN_LIFETIME = 60;
export const MAX_TOKEN_LIFETIME = 10 * 366 * 24 * 3600;

/** A requested lifetime (`expiresIn` of a create body); absent means no expiry. */
export const tokenLifetime = z.number().int().min(MIN_TOKEN_LIFETIME).max(MAX_TOKEN_LIFETIME);
