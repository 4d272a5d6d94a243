/**
 * The `filter` query parameter exactly as the client meant it. The JS SDK does not escape the
 * filter value, so a title holding `&` arrives split across query parameters; the reference rule
 * is that the value runs from the first to the LAST double quote. So the filter is taken from
 * the raw URL: from `filter=` up to the last quote (literal or `%22`), `+` decoded as a space,
 * then valid percent-escapes decoded (a malformed one is left as it is, for the parser to refuse).
 */
export function rawFilter(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const query = url.slice(q + 1);
  const start = /(?:^|&)filter=/.exec(query);
  if (!start) return undefined;
  let raw = query.slice(start.index + start[0].length);
  const literal = raw.lastIndexOf('"');
  const escaped = raw.toLowerCase().lastIndexOf('%22');
  if (literal >= 0 || escaped >= 0) {
    raw = literal > escaped ? raw.slice(0, literal + 1) : raw.slice(0, escaped + 3);
  } else {
    const amp = raw.indexOf('&');
    if (amp >= 0) raw = raw.slice(0, amp);
  }
  return raw.replaceAll('+', ' ').replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
