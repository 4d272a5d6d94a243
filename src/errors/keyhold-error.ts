/**
 * The base of every error Keyhold raises on purpose. Each carries:
 *
 * - `status`: the HTTP status it answers with (a start-up or command-line error, which never
 *   reaches HTTP, is a 500: it would be a fault of the server if it did);
 * - `code`: stable and machine-readable — tests assert it exactly, scripts may branch on it. The
 *   subclasses narrow it to their vocabulary: `ErrorCode` (the admin and Connect APIs),
 *   `OAuthErrorCode` (RFC 6749), `ProcessErrorCode` (start-up and the CLI);
 * - `expose`: whether `message` may be shown to whoever receives the error. By default a 4xx is
 *   the caller's mistake and is explained; a 5xx is ours and is not.
 *
 * Anything thrown that is not a KeyholdError is a bug: every formatter answers it as a generic
 * 500 and the cause is only logged (`normalise.ts`).
 */
export class KeyholdError<Code extends string = string> extends Error {
  readonly status: number;
  readonly code: Code;
  readonly expose: boolean;

  constructor(status: number, code: Code, message: string, options?: { cause?: unknown; expose?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.expose = options?.expose ?? status < 500;
  }
}

export const isKeyholdError = (e: unknown): e is KeyholdError => e instanceof KeyholdError;
