import { EventEmitter } from 'node:events';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import {
  MAX_RECORD_BYTES,
  REPLICA_PATH,
  type ReplicaRecord,
  replicaRecord,
  STREAM_SILENCE_MS,
} from '../wire/replica-protocol.js';
import type { Replica } from './replica.js';
import { EventTooLarge, SseParser } from './sse.js';

/** What the sync tells the node's lifecycle. */
export interface SyncStatus {
  /** The stream is open (answered 200) right now. */
  connected: boolean;
  /** When the replica last applied a `mark` (epoch ms), in this process or, given at start, before. */
  lastMarkAt: number | undefined;
  /**
   * The last record applied was a `mark` and nothing else had arrived after it: the replica is
   * as up to date as the central service has told it to be.
   */
  caughtUp: boolean;
  /** The server was deleted centrally (401 to the stream, or `server-gone`); the replica is wiped. */
  gone: boolean;
}

export interface SyncEvents {
  connected: [];
  disconnected: [reason: string];
  /** A mark was applied: the replica stands at that position. */
  mark: [at: number];
  /** The server was deleted: the replica is wiped; the node must stop serving. */
  gone: [reason: string];
}

export interface SyncOptions {
  /** The central service's base URL (as in the credentials file or --central). */
  central: string;
  serverSecret: string;
  replica: Pick<Replica, 'position' | 'receive' | 'abandon' | 'wipe'>;
  logger: Logger;
  /** How long a silent stream is kept (default STREAM_SILENCE_MS). */
  silenceMs?: number;
  /**
   * A stream that completes no record in a window must have sent this much of one meanwhile, or
   * it is dropped as dribbling (default STREAM_PROGRESS).
   */
  progress?: { windowMs: number; minBytes: number };
  /** Reconnect delays: from `initialMs`, doubling per failure, to at most `maxMs`; each jittered. */
  backoff?: { initialMs: number; maxMs: number };
  /** When the replica last applied a mark before this process (persisted by the lifecycle). */
  lastMarkAt?: number;
  now?: () => number;
  /** A clock that does not jump (ms), for markAge (default performance.now). */
  monotonic?: () => number;
  random?: () => number;
}

export const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 10_000 };

/**
 * A healthy stream completes a record at least every HEARTBEAT_MS. One that completes none for a
 * minute and has sent less than 64 KiB of the next meanwhile (about 1 KiB/s) is dribbling: a
 * hostile or broken central side or proxy keeping the node connected without ever bringing a
 * mark. The silence timer does not catch it (bytes keep coming), and a bound on the time of a
 * whole record would drop a large record on a slow link; this drops neither.
 */
export const STREAM_PROGRESS = { windowMs: 60_000, minBytes: 64 * 1024 };

/** The delay before reconnect attempt `failures` (1 = the first): doubled each time, capped, jittered to [½, 1]. */
export function backoffDelay(
  failures: number,
  backoff: { initialMs: number; maxMs: number },
  random: number,
) {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(ceiling * (0.5 + random / 2));
}

/** Why a connection ended; `gone` stops the sync for good. */
class StreamEnded extends Error {
  constructor(
    message: string,
    readonly gone = false,
  ) {
    super(message);
  }
}

/**
 * Keeps a standalone node's replica up to date from the central service's change stream
 * (wire/replica-protocol.ts): connects to `GET {REPLICA_PATH}/stream?after=&epoch=` from where the
 * replica stands, applies each record in order (each `receive` awaited before the next), and on
 * anything wrong — a record that does not parse, a stream that ends or breaks, a `receive` that
 * rejects, a stream silent for longer than STREAM_SILENCE_MS — forgets a half-gathered reset
 * (`abandon`), drops the connection and connects again after a jittered backoff, resuming after
 * the last mark applied. A 401 or a `server-gone` record means the server was deleted: the
 * replica is wiped, `gone` is emitted, and the sync stops.
 *
 * Reached like every other call to the central service (wire/transport.ts): node:http(s) with
 * Node's default trust store, so NODE_EXTRA_CA_CERTS applies to the stream as to the RPCs.
 */
export class SyncClient extends EventEmitter<SyncEvents> {
  private readonly options: SyncOptions;
  private readonly silenceMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly now: () => number;
  private readonly monotonic: () => number;
  /** The last mark's age at `markClock` on the monotonic clock (0 for a mark applied here). */
  private markAgeThen = 0;
  private markClock: number;
  private readonly random: () => number;
  private readonly streamUrl: URL;
  private readonly state: SyncStatus;
  private running = false;
  private loop: Promise<void> | undefined;
  private request: ClientRequest | undefined;
  /** Why the sync itself dropped the connection (the socket error says only ECONNRESET). */
  private dropped: string | undefined;
  private wakeUp: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  /** Serialises the stream's records and a write's records: one `receive` at a time. */
  private applying: Promise<void> = Promise.resolve();
  /** Connections made (for the lifecycle and tests). */
  connections = 0;

  constructor(options: SyncOptions) {
    super();
    this.options = options;
    this.silenceMs = options.silenceMs ?? STREAM_SILENCE_MS;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.now = options.now ?? Date.now;
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.markClock = this.monotonic();
    // A mark from before this process: as old as the wall clock says now (never less than 0).
    if (options.lastMarkAt !== undefined) this.markAgeThen = Math.max(0, this.now() - options.lastMarkAt);
    this.random = options.random ?? Math.random;
    const base = options.central.endsWith('/') ? options.central : `${options.central}/`;
    this.streamUrl = new URL(`${REPLICA_PATH.replace(/^\//, '')}/stream`, base);
    this.state = { connected: false, lastMarkAt: options.lastMarkAt, caughtUp: false, gone: false };
  }

  status(): SyncStatus {
    return { ...this.state };
  }

  /**
   * How long ago the last mark was applied, on a clock that does not jump (undefined without
   * one): for the staleness bound, beside the wall clock's `now - lastMarkAt`.
   */
  markAge(): number | undefined {
    if (this.state.lastMarkAt === undefined) return undefined;
    return this.markAgeThen + (this.monotonic() - this.markClock);
  }

  /** Starts connecting (and keeps reconnecting) until stop() or the server is gone. */
  start(): void {
    if (this.running || this.state.gone) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Drops the stream and stops reconnecting; resolves once the current record is applied. */
  async stop(): Promise<void> {
    this.running = false;
    this.drop('stopped');
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wakeUp?.();
    await this.loop;
  }

  /**
   * Applies the records a write's answer carried, between the stream's records (never in the
   * middle of one's `receive`). Only states: a `mark` or `reset` would move the replica's
   * position past changes the stream has not brought yet, so they are left to the stream.
   */
  async applyWriteRecords(records: ReplicaRecord[]): Promise<void> {
    for (const record of records) {
      if (record.type === 'mark' || record.type === 'reset' || record.type === 'server-gone') continue;
      await this.apply(record).catch((error: unknown) => {
        // The write is done centrally; the stream brings the change anyway.
        this.options.logger.warn(
          { err: error, record: record.type },
          'a record from a write answer could not be applied to the replica; the stream will bring it',
        );
      });
    }
  }

  private apply(record: ReplicaRecord): Promise<void> {
    const next = this.applying.then(() => this.options.replica.receive(record));
    this.applying = next.catch(() => undefined);
    return next;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let reason: string;
      try {
        await this.connectOnce(() => {
          failures = 0;
        });
        reason = 'the stream ended';
      } catch (error) {
        if (error instanceof StreamEnded && error.gone) {
          this.becomeGone(error.message);
          return;
        }
        reason = this.dropped ?? (error as { code?: string }).code ?? (error as Error).message;
      }
      this.dropped = undefined;
      this.options.replica.abandon();
      const wasConnected = this.state.connected;
      this.state.connected = false;
      this.state.caughtUp = false;
      if (!this.running) return;
      if (wasConnected) this.emit('disconnected', reason);
      failures++;
      const delay = backoffDelay(failures, this.backoff, this.random());
      // Once when it breaks, then now and then: an outage is not a log flood.
      this.options.logger[failures === 1 || failures % 30 === 0 ? 'warn' : 'debug'](
        { reason, retryInMs: delay, failures },
        'the change stream from the central service broke; connecting again',
      );
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  private becomeGone(reason: string): void {
    this.running = false;
    this.state.connected = false;
    this.state.caughtUp = false;
    this.state.gone = true;
    this.state.lastMarkAt = undefined;
    this.options.replica.abandon();
    this.options.replica.wipe();
    this.options.logger.error(
      { reason },
      'this Connect server was deleted on the central service, or its credentials were replaced',
    );
    this.emit('gone', reason);
  }

  private drop(reason: string): void {
    if (!this.request) return;
    this.dropped ??= reason;
    this.request.destroy(new StreamEnded(reason));
  }

  private open(): Promise<{ request: ClientRequest; response: IncomingMessage }> {
    const url = new URL(this.streamUrl);
    const position = this.options.replica.position();
    if (position) {
      url.searchParams.set('after', String(position.seq));
      url.searchParams.set('epoch', position.epoch);
    }
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.request(url, {
        method: 'GET',
        headers: { authorization: `Bearer ${this.options.serverSecret}`, accept: 'text/event-stream' },
        agent: false,
      });
      this.request = request;
      request.setTimeout(this.silenceMs, () => this.drop('no answer'));
      request.on('error', reject);
      request.on('response', (response) => {
        // From here on, the silence timer watches the stream.
        request.setTimeout(0);
        resolve({ request, response });
      });
      request.end();
    });
  }

  /** One connection: resolves when the stream ends, rejects when it breaks. */
  private async connectOnce(healthy: () => void): Promise<void> {
    if (!this.running) return;
    this.connections++;
    const { request, response } = await this.open();
    try {
      if (response.statusCode === 401)
        throw new StreamEnded('the central service refused the server secret (401)', true);
      if (response.statusCode !== 200) {
        throw new StreamEnded(`the central service answered the stream with HTTP ${response.statusCode}`);
      }
      this.state.connected = true;
      this.emit('connected');
      const parser = new SseParser(MAX_RECORD_BYTES);
      const silence = setTimeout(() => this.drop('silent'), this.silenceMs);
      const { windowMs, minBytes } = this.options.progress ?? STREAM_PROGRESS;
      let records = 0;
      let bytes = 0;
      const progress = setInterval(() => {
        if (records === 0 && bytes < minBytes) this.drop('dribbling');
        records = 0;
        bytes = 0;
      }, windowMs);
      try {
        for await (const chunk of response as AsyncIterable<Buffer>) {
          silence.refresh();
          bytes += chunk.length;
          let lastType: ReplicaRecord['type'] | undefined;
          for (const event of this.events(parser, chunk)) {
            const record = this.parse(event.data);
            if (record.type === 'server-gone')
              throw new StreamEnded('the central service says the server is gone', true);
            this.state.caughtUp = false;
            await this.apply(record);
            records++;
            lastType = record.type;
            if (!this.running) return;
            if (record.type === 'mark') {
              this.state.lastMarkAt = this.now();
              this.markAgeThen = 0;
              this.markClock = this.monotonic();
              healthy();
              this.emit('mark', this.state.lastMarkAt);
            }
          }
          // Everything received so far is applied and ended with a mark.
          if (lastType === 'mark' && !parser.pending()) this.state.caughtUp = true;
        }
        // for-await ends quietly on a destroyed request on some Node versions: say why.
        if (!response.complete) throw new StreamEnded('the stream was cut off');
      } finally {
        clearTimeout(silence);
        clearInterval(progress);
      }
    } finally {
      response.destroy();
      request.destroy();
      this.request = undefined;
    }
  }

  /** The events a chunk completes; an event past MAX_RECORD_BYTES ends the connection. */
  private events(parser: SseParser, chunk: Buffer) {
    try {
      return parser.push(chunk);
    } catch (error) {
      if (error instanceof EventTooLarge) {
        this.options.logger.error(
          { limit: error.limit },
          'a record on the change stream is too large; dropping the connection (an item whose files exceed the bound cannot be replicated)',
        );
        throw new StreamEnded(error.message);
      }
      throw error;
    }
  }

  private parse(data: string): ReplicaRecord {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw new StreamEnded('a record on the stream is not JSON');
    }
    const parsed = replicaRecord.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StreamEnded(
        `a record on the stream does not parse (${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'})`,
      );
    }
    return parsed.data;
  }
}
