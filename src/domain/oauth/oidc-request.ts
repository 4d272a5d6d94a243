import type { LoginSessionRecord } from '../../storage/ports.js';
import { PASSWORD_ONLY } from '../login/login-service.js';
import { invalidRequest, type OAuthError } from './oauth-error.js';

/** The `prompt` values served (Core §3.1.2.1); `select_account` is served as `login`. */
export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;
export type Prompt = (typeof PROMPT_VALUES)[number];

/** A `nonce` is echoed in the ID token; a bound keeps the code row and the token small. */
const MAX_NONCE = 512;

/** The authorization request's OpenID Connect parameters (Core §3.1.2.1), validated. */
export interface OidcParameters {
  /** `prompt`, as a set: `none` alone, or any of the others. Also honoured without `openid`. */
  prompt: ReadonlySet<Prompt>;
  /** `max_age` in seconds: a sign-in older than this is made again. */
  maxAge: number | null;
  /** Echoed in the ID token. Optional in the code flow (Core §3.1.2.1 requires it only for implicit and hybrid flows). */
  nonce: string | null;
}

/**
 * Reads `prompt`, `max_age` and `nonce`; a bad value is an error for the redirect URI
 * (`invalid_request`), returned rather than thrown so the caller sends it there.
 */
export function readOidcParameters(query: URLSearchParams): OidcParameters | OAuthError {
  const prompt = new Set<Prompt>();
  for (const value of (query.get('prompt') ?? '').split(' ').filter((v) => v !== '')) {
    if (!(PROMPT_VALUES as readonly string[]).includes(value)) {
      return invalidRequest(`prompt ${value} is not supported; use ${PROMPT_VALUES.join(', ')}`);
    }
    prompt.add(value as Prompt);
  }
  if (prompt.has('none') && prompt.size > 1) {
    return invalidRequest('prompt=none cannot be combined with other values');
  }
  const maxAgeParam = query.get('max_age');
  if (maxAgeParam !== null && !/^\d{1,9}$/.test(maxAgeParam)) {
    return invalidRequest('max_age must be a number of seconds');
  }
  const nonce = query.get('nonce');
  // No control characters: the nonce is stored with the code (PostgreSQL refuses a NUL in text).
  if (nonce !== null && (nonce.length === 0 || nonce.length > MAX_NONCE || hasControlCharacter(nonce))) {
    return invalidRequest(`nonce must be 1 to ${MAX_NONCE} characters, none of them a control character`);
  }
  return { prompt, maxAge: maxAgeParam === null ? null : Number(maxAgeParam), nonce };
}

/**
 * Whether the user must sign in again although signed in: `prompt=login` (or `select_account`),
 * or a sign-in older than `max_age` (Core §3.1.2.1). A sign-in made at or after `since` (when a
 * pushed request, which cannot be replayed without them, was first opened) satisfies both.
 */
export function needsFreshSignIn(
  oidc: OidcParameters,
  session: Pick<LoginSessionRecord, 'createdAt'>,
  since: string | null = null,
): boolean {
  if (since !== null && session.createdAt >= since) return false;
  if (oidc.prompt.has('login') || oidc.prompt.has('select_account')) return true;
  if (oidc.maxAge === null) return false;
  const ageSeconds = Math.floor((Date.now() - Date.parse(session.createdAt)) / 1000);
  return ageSeconds > oidc.maxAge;
}

/**
 * The authorization request to replay after the fresh sign-in: without `prompt=login`
 * (`select_account`) and `max_age`, which the new sign-in has just satisfied — replayed as they
 * were, they would send the user to sign in again and again. The ID token's `auth_time` still
 * lets the client check `max_age` itself.
 */
export function afterFreshSignIn(query: URLSearchParams): URLSearchParams {
  const replay = new URLSearchParams(query);
  replay.delete('max_age');
  const prompt = (query.get('prompt') ?? '')
    .split(' ')
    .filter((v) => v !== '' && v !== 'login' && v !== 'select_account');
  if (prompt.length > 0) replay.set('prompt', prompt.join(' '));
  else replay.delete('prompt');
  return replay;
}

/** The sign-in a code records for its ID tokens (CodeSignIn without the nonce). */
export function signInOf(session: Pick<LoginSessionRecord, 'createdAt' | 'amr'>) {
  return { authTime: session.createdAt, amr: session.amr ?? PASSWORD_ONLY };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
