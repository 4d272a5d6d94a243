/**
 * How long a new Connect or admin token may live, in seconds: one minute to ten years of 366
 * days. The admin API refuses anything else (`tokenLifetime` in http/admin/schemas.ts) and
 * `--expires-in` checks the same bounds first. No zod here: the CLI imports these bounds.
 */
export const MIN_TOKEN_LIFETIME = 60;
export const MAX_TOKEN_LIFETIME = 10 * 366 * 24 * 3600;
