import { isStorageUnavailable, isUnstorableText, isWriteConflict } from '../storage/errors.js';
import {
  AppError,
  badRequest,
  concurrentConflict,
  databaseUnavailable,
  type ErrorCode,
} from './app-error.js';
import { isKeyholdError, type KeyholdError } from './keyhold-error.js';

/** Fastify's own client errors (body too large, bad media type, …) mapped to stable codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};

/**
 * Anything thrown while serving a request, as a KeyholdError. Ours pass as they are; a client
 * error of the framework (it carries a 4xx `statusCode`) gets its stable code; a database out of
 * reach is a 503 `database_unavailable`, a write refused for a concurrent one (a unique value it
 * took first, on every backend; a deadlock on PostgreSQL) is a 409 `conflict`, and a value from
 * the request the database cannot hold (NUL, on PostgreSQL) a 400 `bad_request`; everything else is
 * a bug: a 500 `internal_error` whose message is generic and not exposed, the original kept only
 * as `cause`, for the log.
 */
export function toKeyholdError(error: unknown): KeyholdError {
  if (isKeyholdError(error)) return error;
  if (isStorageUnavailable(error)) return databaseUnavailable(error);
  if (isWriteConflict(error)) return concurrentConflict(error);
  if (isUnstorableText(error))
    return badRequest('A value in the request holds a character that cannot be stored (such as NUL)');
  const e = error as { statusCode?: unknown; code?: unknown; message?: unknown } | null;
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = (typeof e.code === 'string' && FASTIFY_CODES[e.code]) || 'bad_request';
    return new AppError(e.statusCode, code, typeof e.message === 'string' ? e.message : 'Bad request');
  }
  return new AppError(500, 'internal_error', 'Internal server error', { cause: error, expose: false });
}
