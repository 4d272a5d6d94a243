import { invalidInput } from '../../errors/app-error.js';
import { validateOtpUri } from './otp.js';
import type { FieldType } from './types.js';

/**
 * Per-type checks on field values. An empty value is always accepted (a field may be blank).
 * Messages quote the value only when it is not secret and short enough to read; the caller says
 * which values are secret (CONCEALED, OTP and PASSWORD-purpose fields are).
 */

/** Longest value quoted back in a message. */
const MAX_ECHO = 40;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_YEAR = /^(\d{4})\/?(\d{2})$/;

/**
 * Throws `invalid_input` when `value` is not acceptable for `type`. `path` names the value in
 * the message (`fields[2].value`); `secret` forbids quoting it.
 */
export function validateFieldValue(type: FieldType, value: string, path: string, secret: boolean): void {
  if (value === '') return;
  const got = secret ? '' : `, ${describe(value)}`;
  switch (type) {
    case 'OTP':
      validateOtpUri(value, path);
      return;
    case 'DATE':
      if (!isCalendarDate(value)) {
        // A well-formed but impossible date (2023-02-29) deserves a hint beyond the format.
        const hint = DATE.test(value) ? ' (no such day in the calendar)' : '';
        throw invalidInput(`${path}: DATE fields take YYYY-MM-DD${got}${hint}`);
      }
      return;
    case 'MONTH_YEAR':
      if (!isMonthYear(value))
        throw invalidInput(`${path}: MONTH_YEAR fields take YYYYMM or YYYY/MM with month 01-12${got}`);
      return;
    case 'EMAIL':
      if (!isEmailLike(value)) {
        throw invalidInput(`${path}: EMAIL fields take an address with one @ and text on both sides${got}`);
      }
      return;
    case 'URL':
      if (!URL.canParse(value))
        throw invalidInput(`${path}: URL fields take an absolute URL such as https://example.com${got}`);
      return;
    default:
      // STRING, CONCEALED and MENU hold free text.
      return;
  }
}

/** `YYYY-MM-DD` naming a day that exists in the proleptic Gregorian calendar. */
export function isCalendarDate(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** `YYYYMM` or `YYYY/MM` with a month from 01 to 12. */
export function isMonthYear(value: string): boolean {
  const match = MONTH_YEAR.exec(value);
  if (!match) return false;
  const month = Number(match[2]);
  return month >= 1 && month <= 12;
}

/** Deliberately light: one `@` with something on each side. Real validation is delivery. */
export function isEmailLike(value: string): boolean {
  const parts = value.split('@');
  return parts.length === 2 && parts[0] !== '' && parts[1] !== '';
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function describe(value: string): string {
  return value.length <= MAX_ECHO ? `got ${JSON.stringify(value)}` : `got a ${value.length}-character value`;
}
