/** RFC 3339 `date-time` (section 5.6): `T` and `Z` in either case, fraction and offset as written. */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * An RFC 3339 date-time as the UTC instant `toISOString` writes (`2026-01-02T03:04:05.000Z`),
 * the form audit times are stored and compared in; undefined when `text` is not one. Checked
 * field by field, since `Date.parse` rolls `02-30` over into March. A fraction past
 * milliseconds is cut (stored times have none); a leap second (`:60`) is refused, as JavaScript
 * dates cannot hold one.
 */
export function parseInstant(text: string): string | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const [h, min] = [Number(m[9]), Number(m[10])];
    if (h > 23 || min > 59) return undefined;
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (h * 60 + min);
  }
  const ms = Number((m[7] ?? '.0').slice(1, 4).padEnd(3, '0'));
  // Set field by field: Date.UTC would read years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offsetMinutes, second, ms);
  const iso = date.toISOString();
  // Past 9999 (an offset can carry 9999-12-31T23:59Z over) toISOString writes `+010000-…`, which
  // would not compare as text against stored times; no event is ever that late or that early.
  return /^\d{4}-/.test(iso) ? iso : undefined;
}
