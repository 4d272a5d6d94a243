import { invalidInput } from '../../errors/app-error.js';

/** `invalid_input` about the operation at index `at` of a JSON Patch body. */
export function fail(at: number, message: string): Error {
  return invalidInput(`patch[${at}]: ${message}`);
}

/** Paths are client text: quoted (no forged log lines) and cut short. */
export function show(text: string): string {
  const points = Array.from(text);
  return JSON.stringify(points.length > 100 ? `${points.slice(0, 100).join('')}…` : text);
}
