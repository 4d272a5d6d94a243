/**
 * The log levels `--log-level` and `KEYHOLD_LOG_LEVEL` accept. Kept apart from the settings schema
 * (which needs zod) so the CLI can name them in `--help` without loading it.
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
