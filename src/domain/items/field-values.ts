import { invalidInput } from '../../errors/app-error.js';
import { validateOtpUri } from './otp.js';
import type { FieldType } from './types.js';

/**
 * Per-type checks on field values. An empty value is always accepted (a field may be blank).
 * Messages name the value's path and the rule, never the value: a value checked here may be a
 * stored one (a PATCH that changes a field's type checks the value already there), and which
 * values are secret depends on a type the same PATCH may have just changed.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_YEAR = /^(\d{4})\/?(\d{2})$/;

/**
 * Throws `invalid_input` when `value` is not acceptable for `type`. `path` names the value in
 * the message (`fields[2].value`).
 */
export function validateFieldValue(type: FieldType, value: string, path: string): void {
  if (value === '') return;
  switch (type) {
    case 'OTP':
      validateOtpUri(value, path);
      return;
    case 'DATE':
      if (!isCalendarDate(value)) {
        // A well-formed but impossible date (2023-02-29) deserves a hint beyond the format.
        const hint = DATE.test(value) ? ' (no such day in the calendar)' : '';
        throw invalidInput(`${path}: DATE fields take YYYY-MM-DD${hint}`);
      }
      return;
    case 'MONTH_YEAR':
      if (!isMonthYear(value))
        throw invalidInput(`${path}: MONTH_YEAR fields take YYYYMM or YYYY/MM with month 01-12`);
      return;
    case 'EMAIL':
      if (!isEmailLike(value)) {
        throw invalidInput(`${path}: EMAIL fields take an address with one @ and text on both sides`);
      }
      return;
    case 'URL':
      if (!URL.canParse(value))
        throw invalidInput(`${path}: URL fields take an absolute URL such as https://example.com`);
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
