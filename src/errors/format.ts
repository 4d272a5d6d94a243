import { type AdminErrorBody, adminFormat, apiCode } from './admin-format.js';
import { AppError } from './app-error.js';
import { toKeyholdError } from './normalise.js';

/**
 * The admin API's body, under the name it had before the formatters (`admin-format.ts`,
 * `connect-format.ts`, `oauth-format.ts`, `page-format.ts`) replaced the per-handler code.
 */
export type ErrorBody = AdminErrorBody;

/** Anything thrown, as an AppError (a KeyholdError of another family keeps status and exposure). */
export function toAppError(error: unknown): AppError {
  const normalised = toKeyholdError(error);
  if (normalised instanceof AppError) return normalised;
  return new AppError(normalised.status, apiCode(normalised), normalised.message, {
    cause: normalised,
    expose: normalised.expose,
  });
}

/** The admin body of an error: `{status, code, message}`, the message only when exposed. */
export function errorBody(error: AppError): ErrorBody {
  return adminFormat(error).body;
}
