/**
 * The console's one way to the admin API (`/api/admin/…`): JSON in and out, the session cookie
 * sent by the browser, and the session's CSRF token in `x-csrf-token` on every state-changing
 * request. The token lives in memory only (never in web storage): a reload asks the session
 * route for it again.
 */

/** An answer the API refused, with the message of its `{status, code, message}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken: string | undefined;
let onSignedOut: (message: string) => void = () => {};

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when a request finds the session gone (expired, or signed out elsewhere). */
export function whenSignedOut(handler: (message: string) => void): void {
  onSignedOut = handler;
}

export const EXPIRED_MESSAGE = 'Your session expired, sign in again';

async function errorOf(response: Response): Promise<ApiError> {
  let code = 'error';
  let message = `The server answered ${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.message === 'string' && body.message !== '') message = body.message;
  } catch {
    // Not JSON (a proxy's page): the status line says enough.
  }
  return new ApiError(response.status, code, message);
}

/** The sign-in routes, where a 401 is a wrong password or code, not the end of a session. */
const SIGN_IN = new Set(['GET /session', 'POST /session', 'POST /session/second-step']);

/**
 * Whether a 401 means the session is over. On the signed-in session routes (password change,
 * two-step sign-in) `invalid_credentials` is a wrong password or code; any other 401 there, and
 * every 401 elsewhere, is the session gone.
 */
const sessionIsOver = (method: string, path: string, code: string) =>
  !SIGN_IN.has(`${method} ${path}`) && !(path.startsWith('/session/') && code === 'invalid_credentials');

/**
 * Calls `/api/admin{path}`; resolves to the parsed body (undefined for 204), rejects with an
 * ApiError. A 401 that means the session is over (see sessionIsOver) shows the sign-in page,
 * saying why.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await send(
    method,
    path,
    { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body === undefined ? undefined : JSON.stringify(body),
  );
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** Sends `bytes` as `application/octet-stream` (a file upload); resolves to the JSON answer. */
export async function apiUpload<T>(path: string, bytes: Blob): Promise<T> {
  const response = await send(
    'POST',
    path,
    { accept: 'application/json', 'content-type': 'application/octet-stream' },
    bytes,
  );
  return (await response.json()) as T;
}

/** GETs bytes (a file download) as a Blob, kept in memory: no secret ever goes into a URL. */
export async function apiBlob(path: string): Promise<Blob> {
  return (await send('GET', path, { accept: 'application/octet-stream' }, undefined)).blob();
}

async function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: BodyInit | undefined,
): Promise<Response> {
  if (UNSAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/api/admin${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body }),
    });
  } catch {
    throw new ApiError(
      0,
      'network',
      'The Keyhold service cannot be reached. Check your connection and try again.',
    );
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (error.status === 401 && sessionIsOver(method, path, error.code)) {
      csrfToken = undefined;
      onSignedOut(error.code === 'session_expired' ? EXPIRED_MESSAGE : 'Sign in to continue.');
    }
    throw error;
  }
  return response;
}

/** The message to show for anything a call threw. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
