import type { Logger } from 'pino';
import { auditReceipt, REPLICA_PATH } from '../wire/replica-protocol.js';
import { transport } from '../wire/transport.js';
import type { Outbox } from './replica.js';
import { shipmentBody } from './shipment-body.js';
import { backoffDelay, DEFAULT_BACKOFF } from './sync.js';

export interface ShipperOptions {
  central: string;
  serverSecret: string;
  outbox: Pick<Outbox, 'id' | 'pending' | 'acknowledge' | 'size'>;
  logger: Logger;
  /** How long after an event is noticed the shipment leaves (events arriving meanwhile join it). */
  debounceMs?: number;
  /** Events per shipment (the protocol allows up to 1,000). */
  batch?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** How often the outbox is looked at even when nobody called notify() (an event recorded before start). */
  pollMs?: number;
  /** How long one shipment may take, answer included, before it is given up and retried. */
  timeoutMs?: number;
  random?: () => number;
}

/** A shipment of 1,000 events takes well under a second; a central service past this is stuck. */
export const SHIPMENT_TIMEOUT_MS = 30_000;

/**
 * Ships the node's audit outbox to the central trail (`POST {REPLICA_PATH}/audit`): the oldest
 * pending events first, one shipment at a time, never reordered; each answer's `through` is
 * acknowledged, which drops those events from the outbox. A shipment whose answer is lost is
 * sent again with the same outbox sequence numbers, and the central service keeps each once.
 * Events are shipped soon after they appear (debounced) and, while the central service cannot be
 * reached, retried with a jittered backoff.
 */
export class AuditShipper {
  private readonly options: ShipperOptions;
  private readonly send: ReturnType<typeof transport>;
  private readonly url: string;
  private readonly debounceMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;

  constructor(options: ShipperOptions) {
    this.options = options;
    const base = options.central.endsWith('/') ? options.central : `${options.central}/`;
    const url = new URL(`${REPLICA_PATH.replace(/^\//, '')}/audit`, base);
    this.url = url.href;
    this.send = transport(url, { timeoutMs: options.timeoutMs ?? SHIPMENT_TIMEOUT_MS });
    this.debounceMs = options.debounceMs ?? 100;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  start(): void {
    this.stopped = false;
    this.poll = setInterval(() => {
      try {
        if (this.options.outbox.size() > 0) this.notify();
      } catch (error) {
        // A closed or wiped outbox: nothing to ship.
        this.options.logger.debug({ err: error }, 'the audit outbox cannot be read');
      }
    }, this.options.pollMs ?? 1_000).unref();
    this.notify();
  }

  /** An event was appended: ship it soon. */
  notify(): void {
    if (this.stopped || this.timer || this.running) return;
    this.schedule(this.debounceMs);
  }

  /** Ships what is pending now, once (at shutdown); resolves when done or failed. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.pendingNow()) await this.shipAll().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.poll) clearInterval(this.poll);
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.shipAll()
        .then(
          () => {
            this.failures = 0;
          },
          (error: unknown) => {
            this.failures++;
            const delay = backoffDelay(this.failures, this.backoff, (this.options.random ?? Math.random)());
            // Once when it starts failing, then now and then: an outage is not a log flood.
            this.options.logger[this.failures === 1 || this.failures % 30 === 0 ? 'warn' : 'debug'](
              { err: error, pending: this.options.outbox.size(), retryInMs: delay },
              'the audit outbox could not be shipped to the central service; trying again',
            );
            if (!this.stopped) this.schedule(delay);
          },
        )
        .finally(() => {
          this.running = undefined;
          // Events appended while the shipment was on its way.
          if (!this.stopped && !this.timer && this.pendingNow()) this.schedule(this.debounceMs);
        });
    }, ms);
    this.timer.unref?.();
  }

  private pendingNow(): boolean {
    try {
      return this.options.outbox.size() > 0;
    } catch {
      return false;
    }
  }

  /** Ships shipment after shipment until the outbox is empty; throws on the first failure. */
  private async shipAll(): Promise<void> {
    const { outbox } = this.options;
    /** The central service refused the event with this seq: ship those before it first. */
    let before: number | undefined;
    /** Events per shipment: halved while the central service answers 413 (its body limit). */
    let batch = this.options.batch ?? 1_000;
    for (;;) {
      let pending = outbox.pending(batch);
      if (pending.length === 0) return;
      if (before !== undefined) {
        const limit = before;
        pending = pending.filter((p) => p.seq < limit);
        before = undefined;
        if (pending.length === 0) continue;
      }
      // Read in the same turn as `pending`: the events and the outbox they belong to.
      const outboxId = outbox.id;
      const { json, seqs } = await shipmentBody(outboxId, pending, (seq, event) => {
        // Never expected (the node records only what the protocol carries); shipping the rest
        // matters more than one event the central service would refuse anyway.
        this.options.logger.error(
          { seq, action: event.action, resourceType: event.resourceType, actorType: event.actorType },
          'an audit event in the outbox cannot be shipped (not a Connect read); it is dropped',
        );
      });
      const last = pending.at(-1)?.seq ?? 0;
      if (seqs.length === 0) {
        outbox.acknowledge(last);
        continue;
      }
      const response = await this.send(
        this.url,
        'POST',
        { authorization: `Bearer ${this.options.serverSecret}`, 'content-type': 'application/json' },
        json,
      );
      if (response.status === 413 && seqs.length > 1) {
        batch = Math.max(1, Math.floor(seqs.length / 2));
        continue;
      }
      const refused = response.status === 400 ? refusedSeq(response.body) : undefined;
      if (refused && seqs.includes(refused.seq)) {
        if (refused.seq !== seqs[0]) {
          // The events before it are not stored either (a shipment is stored whole or not at all).
          before = refused.seq;
          continue;
        }
        // An event the central service will never take (its vault was deleted before it was
        // shipped, say): kept, it would block every later event for ever. Dropped, loudly.
        const dropped = pending.find((p) => p.seq === refused.seq)?.event;
        this.options.logger.error(
          {
            seq: refused.seq,
            reason: refused.message,
            occurredAt: dropped?.occurredAt,
            action: dropped?.action,
            result: dropped?.result,
            resourceType: dropped?.resourceType,
            tokenId: dropped?.tokenId,
            vaultId: dropped?.vaultId,
            itemId: dropped?.itemId,
            requestId: dropped?.requestId,
          },
          'the central service refused an audit event of the outbox; it is dropped, not shipped: this read is missing from the central audit trail',
        );
        outbox.acknowledge(refused.seq);
        continue;
      }
      if (response.status < 200 || response.status > 299) {
        throw new Error(`the central service answered the audit shipment with HTTP ${response.status}`);
      }
      let through: number;
      try {
        through = auditReceipt.parse(JSON.parse(response.body.toString('utf8'))).through;
      } catch {
        throw new Error(
          'the central service answered the audit shipment with something that is not a receipt',
        );
      }
      // Only what was sent, and what the central service says it holds.
      const acknowledged = Math.min(through, last);
      if (acknowledged > 0) outbox.acknowledge(acknowledged);
      if (through < (seqs[0] ?? 0)) {
        throw new Error(
          `the central service holds this outbox only through ${through}, before the events sent`,
        );
      }
    }
  }
}

/**
 * The event a 400 answer to a shipment refused (connect-server/central/audit-ingest.ts:
 * `event I (seq N) refused: why`), or undefined for any other 400 (a shipment that does not
 * parse: retried, never dropped, as it may be a version mismatch that an upgrade fixes).
 */
function refusedSeq(body: Buffer): { seq: number; message: string } | undefined {
  try {
    const answer = JSON.parse(body.toString('utf8')) as { code?: unknown; message?: unknown };
    if (answer.code !== 'invalid_input' || typeof answer.message !== 'string') return undefined;
    const match = /^event \d+ \(seq (\d+)\) refused: /.exec(answer.message);
    return match ? { seq: Number(match[1]), message: answer.message } : undefined;
  } catch {
    return undefined;
  }
}
