import { invalidInput } from '../../errors/app-error.js';
import { quoted } from './scope-names.js';

/**
 * Redirect URIs: what a client may register, and when a requested `redirect_uri` is a
 * registered one (RFC 9700 §4.1, checks 1, 3 and 4 of the shared OAuth reference).
 *
 * A registered URI is kept exactly as written and matched as a string, never normalised: two
 * parsers that disagree about a URI (ours and the browser's) are how open redirectors happen.
 * For the same reason registration refuses spellings that WHATWG URL parsing silently rewrites
 * (`\` for `/`, `https:host` without `//`, spaces and control characters).
 */

/** Longest redirect URI accepted; longer ones are a mistake or an attack, never a callback. */
export const MAX_REDIRECT_URI_LENGTH = 2048;

/** Printable ASCII without space: anything else must be percent-encoded in a URI. */
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/** Schemes that run code or read local data when navigated to: named in the refusal. */
const DANGEROUS_SCHEMES = new Set([
  'javascript:',
  'vbscript:',
  'data:',
  'file:',
  'blob:',
  'filesystem:',
  'about:',
]);

/** `localhost` and its subdomains, with or without a trailing dot. */
const LOCALHOST = /(^|\.)localhost\.?$/i;

/**
 * An `http` loopback URI as RFC 8252 §7.3 allows it, split so that only the port may vary:
 * `http://` + IP literal + optional port (1–5 digits, no leading zero) + path and query.
 * The host must be followed by `:`, `/`, `?` or the end, so `127.0.0.1.evil.com` and
 * `127.0.0.1@evil.com` never parse as loopback.
 */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::([1-9][0-9]{0,4}))?([/?][\x21-\x7e]*)?$/;

/** The authority of a registrable loopback URI: the IP literal as written, and a plain port. */
const LOOPBACK_HOST_PORT = /^(127\.0\.0\.1|\[::1\])(:[1-9][0-9]{0,4})?$/;

/**
 * Validates a redirect URI for registration and returns it exactly as given. Allowed:
 * `https://…` with any host; `http://127.0.0.1[:port]/…` and `http://[::1][:port]/…` (RFC 8252
 * §7.3); a private-use scheme in reverse-domain form such as `com.example.app:/callback` (RFC
 * 8252 §7.1). Never a fragment, user information or `*`. Throws `invalid_input` naming the URI
 * and the rule it breaks.
 */
export function validateRedirectUri(uri: string): string {
  const problem = redirectUriProblem(uri);
  if (problem !== undefined) throw invalidInput(`Invalid redirect URI ${quoted(uri)}: ${problem}`);
  return uri;
}

/**
 * The rule `uri` breaks as a registered redirect URI, as a clause for a message, or `undefined`
 * when {@link validateRedirectUri} accepts it.
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length === 0) return 'it is empty';
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `it is longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (!PRINTABLE_ASCII.test(uri)) {
    return 'it contains a space, a control character or a non-ASCII character; percent-encode them';
  }
  if (uri.includes('\\')) return 'it contains `\\`, which browsers read as `/`';
  if (uri.includes('*')) return 'wildcards (`*`) are not allowed: register every redirect URI in full';
  if (uri.includes('#'))
    return 'it has a fragment (`#…`), which a redirect URI must not have (RFC 6749 §3.1.2)';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'it is not an absolute URI such as `https://app.example.com/callback`';
  }
  const scheme = url.protocol;
  if (DANGEROUS_SCHEMES.has(scheme)) return `the \`${scheme}\` scheme is never allowed`;
  if (hasUserInfo(uri, url)) return 'it has user information (`user@`) before the host, which is not allowed';
  if (scheme === 'https:' || scheme === 'http:') {
    // Lowercase and `//` exactly, so that the string we match is the URI the browser follows.
    if (!uri.startsWith(`${scheme}//`)) return `it must start with \`${scheme}//\` in lowercase`;
    if (scheme === 'https:') return undefined;
    return httpProblem(uri, url);
  }
  if (!scheme.includes('.')) {
    return (
      `the \`${scheme}\` scheme is not allowed: use \`https\`, \`http\` on a loopback IP literal, or a ` +
      'private-use scheme in reverse-domain form such as `com.example.app:/callback` (RFC 8252 §7.1)'
    );
  }
  return undefined;
}

/** Plain `http` is allowed only towards the user's own machine (RFC 8252 §7.3, RFC 9700 §4.1.1). */
function httpProblem(uri: string, url: URL): string | undefined {
  if (LOOPBACK_HOST_PORT.test(rawAuthority(uri) ?? '')) return undefined;
  if (LOCALHOST.test(url.hostname)) {
    return (
      '`localhost` is not allowed, because it can resolve elsewhere: use `http://127.0.0.1:<port>/…` ' +
      'or `http://[::1]:<port>/…` instead (RFC 8252 §8.3)'
    );
  }
  return (
    '`http` is allowed only for the loopback IP literals `127.0.0.1` and `[::1]`, written exactly so ' +
    '(RFC 8252 §7.3); use `https`'
  );
}

/** The authority as written (`//` up to the first `/`, `?` or `#`), or `undefined` if there is none. */
function rawAuthority(uri: string): string | undefined {
  const colon = uri.indexOf(':');
  if (!uri.startsWith('//', colon + 1)) return undefined;
  const rest = uri.slice(colon + 3);
  const end = rest.search(/[/?#]/);
  return end === -1 ? rest : rest.slice(0, end);
}

/** `user@host`, including the empty `@host` that the URL parser drops without a trace. */
function hasUserInfo(uri: string, url: URL): boolean {
  return url.username !== '' || url.password !== '' || (rawAuthority(uri)?.includes('@') ?? false);
}

/**
 * Whether a requested `redirect_uri` is one of the client's registered ones: exact string
 * equality, except that for a registered `http` loopback URI the port may differ (RFC 8252
 * §7.3: native apps listen on an ephemeral port) while scheme, host, path and query stay
 * byte-identical. No other leniency: no case folding, no default ports, no trailing slashes.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const wanted = splitLoopback(requested);
  if (wanted === undefined) return false;
  return registered.some((uri) => {
    const candidate = splitLoopback(uri);
    return candidate !== undefined && candidate.host === wanted.host && candidate.rest === wanted.rest;
  });
}

function splitLoopback(uri: string): { host: string; rest: string } | undefined {
  const match = LOOPBACK.exec(uri);
  if (match === null) return undefined;
  const [, host = '', port, rest = ''] = match;
  if (port !== undefined && Number(port) > 65_535) return undefined;
  return { host, rest };
}
