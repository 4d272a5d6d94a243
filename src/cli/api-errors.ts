import { sizeInWords } from '../config/size-in-words.js';

/** An error answer of the admin API, as far as the CLI reads it (docs/errors.md, the admin shape). */
export interface ApiProblem {
  status: number;
  code?: string;
  message?: string;
  /** `x-request-id`: what an operator looks up in the service's log. */
  requestId?: string;
  /** `Retry-After`, in seconds, on a 429. */
  retryAfter?: string;
}

/** What the CLI was doing when the answer came. */
export interface RequestFacts {
  /** The admin API path, relative to `/api/admin/` (`vaults/V/items/I`), as sent (encoded). */
  path: string;
  /** Who asked: an admin token (`--token`/KEYHOLD_TOKEN) or the user `keyhold login` signed in. */
  credential: 'token' | 'sign-in';
  /** The size of an uploaded file, when the request was one. */
  uploadBytes?: number;
}

/**
 * An API error in words for whoever typed the command: no status numbers, no wire prefixes
 * (`path:`, `body:`, `query:`), a thing the user named said back the way they named it, and what
 * to do next where there is something to do. The service's own message is kept where it already
 * says what happened (a version conflict, a role without a permission): it never holds a secret
 * (docs/errors.md).
 */
export function explainApiError(problem: ApiProblem, facts: RequestFacts): string {
  const message = (problem.message ?? '').trim();
  const who = facts.credential === 'token' ? 'the admin token' : 'your sign-in';
  switch (problem.code ?? codeOfStatus(problem.status)) {
    case 'invalid_input':
    case 'bad_request': {
      // An id the route cannot take is one no thing has: say so with what was typed.
      const param = /^path: (\w+)Id: /.exec(message);
      if (param?.[1]) return noSuch(param[1], facts.path, message);
      return withoutWirePrefix(message) || 'the service refused the request as malformed';
    }
    case 'unauthorized':
      return facts.credential === 'token' ? tokenRefused(message) : signInRefused(message);
    case 'forbidden':
      return `${who} is not allowed to do this: ${forbiddenReason(message)}`;
    case 'not_found': {
      const thing =
        /^(vault|item|file|server|user|client|token|admin token|resource server|grant|account) (\S+) not found$/.exec(
          message,
        );
      if (thing?.[1] && thing[2]) {
        // A grant has no name of its own; everything else can be named on the command line.
        return `no ${thing[1]} ${thing[1] === 'grant' ? 'with' : 'named or with'} id '${thing[2]}'`;
      }
      if (message.startsWith('no route for '))
        return 'the service does not know this request: is it an older Keyhold than this CLI?';
      return message || 'not found';
    }
    case 'payload_too_large':
      if (facts.uploadBytes !== undefined) {
        const limit = /at most (.+?) \(/.exec(message)?.[1];
        return `the file (${sizeInWords(facts.uploadBytes)}) is larger than the server accepts${limit ? ` (limit ${limit})` : ''}`;
      }
      return 'the request is larger than the server accepts (its KEYHOLD_BODY_LIMIT): send less at once';
    case 'too_many_requests':
      return `${message || 'too many attempts'}${problem.retryAfter ? ` (try again in ${problem.retryAfter} s)` : ''}`;
    case 'internal_error':
      return `the service failed unexpectedly${problem.requestId ? ` (its log has the details under request id ${problem.requestId})` : ''}`;
    case 'integrity_error':
      return `${message || 'an integrity check failed'}: the stored data was altered, so nothing was returned; tell the service's operator (docs/errors.md)`;
    case 'mfa_unavailable':
      return `${message.replace(/\.$/, '')} (\`keyhold user reset-mfa EMAIL\`)`;
    default:
      return withoutWirePrefix(message) || `the service refused the request (${problem.status})`;
  }
}

/** The API code of a status, for an answer without a body in the admin shape (a proxy's, say). */
function codeOfStatus(status: number): string | undefined {
  return (
    {
      400: 'bad_request',
      401: 'unauthorized',
      403: 'forbidden',
      404: 'not_found',
      413: 'payload_too_large',
      429: 'too_many_requests',
      500: 'internal_error',
    } as Record<number, string>
  )[status];
}

/** Why an admin token was refused, and where it came from. */
function tokenRefused(message: string): string {
  const where = 'check KEYHOLD_TOKEN or --token';
  if (/^invalid admin token$/i.test(message))
    return `the admin token is not one this service knows (mistyped, or made by another service): ${where}`;
  if (message.startsWith('admin token ')) return `the ${message}: ${where}`;
  return `the admin token was refused (${lowerFirst(message) || 'not valid'}): ${where}`;
}

/** Why the signed-in user's token was refused; signing in again helps unless the user is disabled. */
function signInRefused(message: string): string {
  if (/disabled/.test(message)) return lowerFirst(message);
  return `your sign-in was refused (${lowerFirst(message) || 'not valid'}): run \`keyhold login\` again`;
}

/** `no vault named or with id 'X'`, X being the segment of the path after `vaults`. */
function noSuch(kind: string, path: string, fallback: string): string {
  const segments = path.split('/');
  const at = segments.findIndex((s) => s === `${kind}s` || s.endsWith(`-${kind}s`));
  const typed = at >= 0 ? segments[at + 1] : undefined;
  if (typed === undefined) return withoutWirePrefix(fallback);
  const noun = kind.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
  return `no ${noun} named or with id '${decodeURIComponent(typed)}'`;
}

/**
 * The rule a role lacks, in words: `role auditor does not have the vaults:create permission` →
 * `its role (auditor) does not have the vaults:create permission`.
 */
function forbiddenReason(message: string): string {
  const role = /^role (\S+) does not have the (\S+) permission$/.exec(message);
  if (role) return `its role (${role[1]}) does not have the ${role[2]} permission (docs/roles.md)`;
  return lowerFirst(message) || 'refused';
}

/** `body: email: must be …` → `email: must be …`; `query: since …` → `--since …`. */
function withoutWirePrefix(message: string): string {
  return message
    .replace(/^body: /, '')
    .replace(
      /^query: (\w+)/,
      (_, name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    )
    .replace(/^path: /, '');
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
