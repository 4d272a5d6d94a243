import { STATUS_CODES } from 'node:http';
import type { KeyholdError } from './keyhold-error.js';

/** An error as one wire family answers it: status, the headers it needs, and the body. */
export interface WireError<Body = unknown> {
  status: number;
  headers?: Record<string, string>;
  body: Body;
}

/** Turns an error (already normalised: `toKeyholdError`) into one wire family's answer. */
export type Formatter<Body = unknown> = (error: KeyholdError) => WireError<Body>;

/**
 * The message a caller may read: the error's own when it is exposed, otherwise only the status's
 * reason phrase (`Internal Server Error`, `Bad Request`), which says nothing the status did not.
 */
export function shownMessage(error: KeyholdError): string {
  if (error.expose) return error.message;
  return error.status >= 500 ? 'Internal server error' : (STATUS_CODES[error.status] ?? 'Request refused');
}
