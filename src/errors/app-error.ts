import { KeyholdError } from './keyhold-error.js';

/**
 * The errors of the admin API, the Connect API and `/api/v1`: a KeyholdError whose `code` is one
 * of ERROR_CODES (docs/errors.md lists them; a test keeps the two equal), raised through the
 * factories below.
 */
export const ERROR_CODES = {
  bad_request: 'The request is malformed in a way no more specific code covers.',
  invalid_input: 'A field, parameter or query value is wrong; the message names it and what is allowed.',
  invalid_json: 'The body is not valid JSON, or holds a forbidden `__proto__`/`constructor` key.',
  invalid_utf8: 'The body is not valid UTF-8.',
  unauthorized: 'No credential, or one that is unknown, expired or revoked.',
  invalid_credentials:
    'The email or password (or the current password) is wrong; an email no account has answers the same.',
  session_expired: 'The console session is past its expiry: sign in again.',
  csrf_refused:
    'A state-changing request made with the console cookie lacked the session’s `x-csrf-token`, or came from another origin.',
  forbidden: 'The credential is valid but does not allow this action.',
  not_found: 'No such route, or no such resource in the caller’s account.',
  conflict: 'The request conflicts with the current state.',
  version_conflict: 'The update was based on an older version of the item; fetch it again and retry.',
  patch_not_applicable:
    'The PATCH cannot be applied to the current item; a caller without read access is not told why.',
  email_taken: 'A user with this email already exists in the account.',
  own_account: 'An operator cannot delete the account its own token belongs to.',
  signing_key_current:
    'The signing key named is the current key of its kind, which cannot be withdrawn: rotate that kind first, then withdraw the key.',
  last_owner:
    'The change would leave the account without an enabled owner user: make another user owner first.',
  user_disabled: 'The user is disabled: their sign-in, sessions and tokens are refused until enabled again.',
  invalid_reset_link:
    'The password-reset link is unknown, replaced by a newer one, already used, or expired.',
  payload_too_large: 'The body is over the configured limit.',
  too_many_requests: 'Too many failed attempts from this caller; wait for the time the message gives.',
  unsupported_media_type: 'The Content-Type is not one the route accepts.',
  mfa_unavailable:
    'The user’s stored second factor failed its integrity check; an administrator must reset it (`keyhold user reset-mfa`).',
  integrity_error:
    'A stored ciphertext or metadata MAC failed authentication: storage was altered. Nothing is returned.',
  audit_unavailable: 'The audit event could not be recorded, so the request was refused (fail-closed).',
  central_unavailable:
    'A standalone Connect server could not reach the central service for a write or the activity trail, or got an answer it could not read; its reads go on from the replica.',
  database_unavailable:
    'The database could not be reached or did not answer in time; retry shortly (a write in flight may or may not have been applied).',
  replica_not_synced:
    'A standalone Connect server has no replica yet, or has not heard from the central service for longer than --max-staleness allows.',
  internal_error: 'An unexpected fault; details are logged on the server, never sent.',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends KeyholdError<ErrorCode> {}

export const badRequest = (message: string, code: ErrorCode = 'bad_request') =>
  new AppError(400, code, message);
export const invalidInput = (message: string) => new AppError(400, 'invalid_input', message);
export const unauthorized = (message = 'Authentication required') =>
  new AppError(401, 'unauthorized', message);
export const forbidden = (message: string) => new AppError(403, 'forbidden', message);
export const notFound = (message: string) => new AppError(404, 'not_found', message);
/** A URL path as a message quotes it: client text, cut short (the request line may be 16 KiB). */
const shownPath = (path: string) => (path.length > 200 ? `${path.slice(0, 200)}…` : path);
/** No route matches; the query string is left out (it can hold item titles). */
export const noRoute = (method: string, url: string) =>
  notFound(`no route for ${method} ${shownPath(url.split('?', 1)[0] ?? url)}`);
/** A path that is not valid URL syntax (a `%` not followed by two hex digits, bad UTF-8). */
export const badUrl = (path: string) => badRequest(`'${shownPath(path)}' is not a valid URL path`);
export const conflict = (message: string, code: ErrorCode = 'conflict') => new AppError(409, code, message);
export const payloadTooLarge = (message: string) => new AppError(413, 'payload_too_large', message);
export const unsupportedMediaType = (message: string) => new AppError(415, 'unsupported_media_type', message);

/**
 * A ciphertext failed authentication: it was altered, or it belongs to another row. Never
 * returned as data; it is a 500 to clients because it means storage was tampered with.
 */
export const integrityError = (what: string) =>
  new AppError(500, 'integrity_error', `Integrity check failed for ${what}`, { expose: true });

/** The audit trail could not record an event; the request fails closed. */
export const auditUnavailable = (cause: unknown) =>
  new AppError(503, 'audit_unavailable', 'The audit trail is unavailable; the request was not served', {
    cause,
    expose: true,
  });

/** The database is out of reach (storage/errors.ts): a 503 whose message says so, never a 500. */
export const databaseUnavailable = (cause: unknown) =>
  new AppError(
    503,
    'database_unavailable',
    'The database is unavailable; the request could not be completed. Retry shortly.',
    { cause, expose: true },
  );

/**
 * A write refused because of a concurrent one (storage/errors.ts `isWriteConflict`): a unique
 * value another request took first (two racing for the same email, grant or key), which a check
 * before the write could not see, or a deadlock the database broke. The request may be tried
 * again, and will then meet what the other one did.
 */
export const concurrentConflict = (cause: unknown) =>
  new AppError(409, 'conflict', 'The request conflicts with a change made at the same time; try again.', {
    cause,
  });

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
