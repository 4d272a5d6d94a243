import { AppError, type ErrorCode } from './app-error.js';
import type { KeyholdError } from './keyhold-error.js';
import { type Formatter, shownMessage } from './wire.js';

/** The admin API's error body, also every unknown route's: `{status, code, message}`. */
export interface AdminErrorBody {
  status: number;
  code: ErrorCode;
  message: string;
}

/** The documented code for an error of another family (OAuth, start-up) that reached this API. */
const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/** Always one of ERROR_CODES, so the body's `code` is one docs/errors.md lists. */
function apiCode(error: KeyholdError): ErrorCode {
  if (error instanceof AppError) return error.code;
  return CODE_BY_STATUS[error.status] ?? (error.status >= 500 ? 'internal_error' : 'bad_request');
}

/** The admin API (`/api/admin`, `/api/connect-server/v1`, any unknown route). */
export const adminFormat: Formatter<AdminErrorBody> = (error) => ({
  status: error.status,
  body: { status: error.status, code: apiCode(error), message: shownMessage(error) },
});
