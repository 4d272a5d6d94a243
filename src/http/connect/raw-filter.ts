/**
 * The `filter` query parameter exactly as the client meant it. The JS SDK does not escape the
 * filter value, so a title holding `&` arrives split across query parameters. So the filter is
 * taken from the raw URL: from `filter=` to the end of the `&`-separated part holding the last
 * double quote (literal or `%22`) — everything after that quote up to the next `&` included, so
 * junk after a value reaches the parser and is refused rather than cut off — then `+` decoded as
 * a space and valid percent-escapes decoded (a malformed one is left as it is, for the parser).
 */
export function rawFilter(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const query = url.slice(q + 1);
  const start = /(?:^|&)filter=/.exec(query);
  if (!start) return undefined;
  let raw = query.slice(start.index + start[0].length);
  const lastQuote = Math.max(raw.lastIndexOf('"'), raw.toLowerCase().lastIndexOf('%22'));
  const amp = raw.indexOf('&', Math.max(lastQuote, 0));
  if (amp >= 0) raw = raw.slice(0, amp);
  return raw.replaceAll('+', ' ').replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
