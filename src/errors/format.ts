import { AppError, type ErrorCode, isAppError } from './app-error.js';

/** The body every admin API error has: `{status, code, message}`. */
export interface ErrorBody {
  status: number;
  code: ErrorCode;
  message: string;
}

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
 * Normalises anything thrown while serving a request into an AppError. Errors that are neither
 * ours nor a recognised client error are bugs: they become a generic 500 whose message reveals
 * nothing (the original is logged by the caller).
 */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const e = error as { statusCode?: unknown; code?: unknown; message?: unknown } | null;
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = (typeof e.code === 'string' && FASTIFY_CODES[e.code]) || 'bad_request';
    return new AppError(e.statusCode, code, typeof e.message === 'string' ? e.message : 'Bad request');
  }
  return new AppError(500, 'internal_error', 'Internal server error', { cause: error, expose: false });
}

export function errorBody(error: AppError): ErrorBody {
  return {
    status: error.status,
    code: error.code,
    message: error.expose ? error.message : 'Internal server error',
  };
}
