import { expect } from 'vitest';
import { AppError } from '../../../src/errors/app-error.js';

/** Runs `fn`, expects an `invalid_input` 400, and returns its message for further checks. */
export function invalidMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.code).toBe('invalid_input');
    expect(appError.status).toBe(400);
    expect(appError.expose).toBe(true);
    return appError.message;
  }
  throw new Error('expected an invalid_input error, but nothing was thrown');
}

/** Expects `fn` to fail with `invalid_input` and exactly `message`. */
export function expectInvalid(fn: () => unknown, message: string): void {
  expect(invalidMessage(fn)).toBe(message);
}
