import { CliError } from './errors.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time flag's value as the RFC 3339 instant the admin API takes: a relative time (`90s`,
 * `30m`, `24h`, `7d`, `2w`: that long before `now`) is converted here; anything else is sent as
 * typed, for the server to check and explain (it takes RFC 3339 with a zone).
 */
export function timeFlag(flag: string, raw: string, now: Date = new Date()): string {
  const relative = /^(\d{1,7})([smhdw])$/.exec(raw.trim());
  if (!relative) {
    if (/^\d+$/.test(raw.trim()))
      throw new CliError(
        `${flag} needs a unit (s, m, h, d or w, like 24h) or an RFC 3339 time, got ${JSON.stringify(raw)}`,
      );
    return raw;
  }
  const ms = Number(relative[1]) * (UNITS[relative[2] as string] as number);
  const at = new Date(now.getTime() - ms);
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1)
    throw new CliError(`${flag} ${raw} reaches back too far`);
  return at.toISOString();
}
