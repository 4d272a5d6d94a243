/**
 * A server-sent events parser (the `text/event-stream` format of the HTML standard, §9.2.6),
 * for the node's change stream: fed bytes as they arrive, it gives the events completed so far.
 *
 * Lines end in CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the next
 * are one line end); a line starting with `:` is a comment (the central service may send them to
 * keep proxies from closing an idle connection); `data:` lines of one event are joined with LF;
 * a blank line ends the event; one leading space after the colon is dropped; a UTF-8 BOM at the
 * very start is skipped. An event still open when the stream ends is discarded (the standard's
 * rule), which is how a truncated stream loses its last, incomplete record.
 *
 * An event (its lines, comments included, until the blank line) longer than `maxEventChars`
 * throws EventTooLarge: the parser is then unusable, and the caller drops the connection.
 *
 * No library: the few SSE parsers on the registry either target browsers (EventSource
 * polyfills that reconnect on their own, which the sync must control) or would be a new
 * dependency for forty lines.
 */
export interface ServerSentEvent {
  /** `event:`, or `message` when the event named none. */
  event: string;
  data: string;
  id?: string;
}

/** An event grew past the parser's bound; the stream must be dropped. */
export class EventTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`an event on the stream is too large (over ${limit} characters)`);
  }
}

export class SseParser {
  private readonly maxEventChars: number;
  /** Characters of the current event held in `data`, `event` and `id`. */
  private held = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private buffer = '';
  private started = false;
  private skipLf = false;
  private data: string[] | undefined;
  private event = '';
  private id: string | undefined;

  constructor(maxEventChars = Number.POSITIVE_INFINITY) {
    this.maxEventChars = maxEventChars;
  }

  /** Feeds a chunk; returns the events it completed, in order. */
  push(chunk: Buffer | Uint8Array): ServerSentEvent[] {
    let text = this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const events: ServerSentEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 && this.skipLf && i === start && this.buffer === '') {
        // The LF of a CRLF whose CR ended the previous chunk (or line).
        this.skipLf = false;
        start = i + 1;
        continue;
      }
      this.skipLf = false;
      if (c !== 10 && c !== 13) continue;
      const line = this.buffer + text.slice(start, i);
      this.buffer = '';
      if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        else if (i + 1 === text.length) this.skipLf = true;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer += text.slice(start);
    if (this.held + this.buffer.length > this.maxEventChars) throw new EventTooLarge(this.maxEventChars);
    return events;
  }

  /** Whether part of an event has arrived but not its end. */
  pending(): boolean {
    return this.buffer !== '' || this.data !== undefined;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === '') {
      const data = this.data;
      const event = this.event || 'message';
      this.data = undefined;
      this.event = '';
      this.held = 0;
      if (data === undefined) return undefined;
      return { event, data: data.join('\n'), ...(this.id === undefined ? {} : { id: this.id }) };
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.held += value.length + 1;
      if (this.held > this.maxEventChars) throw new EventTooLarge(this.maxEventChars);
      if (this.data) this.data.push(value);
      else this.data = [value];
    } else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    // `retry` and unknown fields are ignored: the sync has its own backoff.
    return undefined;
  }
}
