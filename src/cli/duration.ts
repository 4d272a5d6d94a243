/** The unit letters of the CLI's duration flags (`--expires-in`, `--max-staleness`), in seconds. */
export const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/**
 * A whole number and a unit s, m, h or d (`90d`, `12h`, `30m`, `3600s`; white space around is
 * ignored) in seconds, or undefined when `raw` is not of that form: the caller says what its flag
 * takes and checks its own bounds.
 */
export function durationSeconds(raw: string): number | undefined {
  const match = /^([0-9]{1,12})([smhd])$/.exec(raw.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}
