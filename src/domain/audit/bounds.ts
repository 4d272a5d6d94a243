/**
 * Upper bounds of the request facts an audit event stores. Each is set by what a caller controls:
 * a client picks its User-Agent and, through a remote Connect server, what reaches the RPC, so
 * unbounded text would let any client that can reach a port grow the audit table at will. Long
 * values are truncated, never refused: a refusal would stop a legitimate client over a header
 * that means nothing to Keyhold.
 */
export const MAX_USER_AGENT = 256;
/** An IPv6 address with a zone index fits in 64 characters (45 + `%` + interface name). */
export const MAX_IP = 64;
/** Request ids are UUIDs (36 characters) today; the bound leaves room for other formats. */
export const MAX_REQUEST_ID = 128;
/** Ids Keyhold makes are 26 characters; the bound catches anything else that reaches an id column. */
export const MAX_ID = 128;

/**
 * `text` cut to at most `max` UTF-16 code units, never inside a surrogate pair: the result is
 * well-formed Unicode whenever the input is, and its `length` is at most `max`.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  // A high surrogate as the last kept unit would be half a code point: drop it too.
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** `text` bounded as above; null and undefined become null. */
export const bounded = (text: string | null | undefined, max: number): string | null =>
  text == null ? null : truncate(text, max);
