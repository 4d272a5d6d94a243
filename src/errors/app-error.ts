/**
 * The one error hierarchy. Every failure that can reach a client is an AppError carrying its
 * HTTP status, a stable machine-readable `code` (tests assert it exactly) and whether its
 * message may be shown (`expose`). Anything that is not an AppError is a bug and is reported as
 * a generic 500 without detail.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;

  constructor(status: number, code: string, message: string, options?: { cause?: unknown; expose?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.expose = options?.expose ?? status < 500;
  }
}

export const badRequest = (message: string, code = 'bad_request') => new AppError(400, code, message);
export const invalidInput = (message: string) => new AppError(400, 'invalid_input', message);
export const unauthorized = (message = 'Authentication required') => new AppError(401, 'unauthorized', message);
export const forbidden = (message: string) => new AppError(403, 'forbidden', message);
export const notFound = (message: string) => new AppError(404, 'not_found', message);
export const conflict = (message: string, code = 'conflict') => new AppError(409, code, message);
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

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
