import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AuditEventInput } from '../../storage/ports.js';
import { toShipped } from '../wire/replica-protocol.js';

/** Events mapped and serialised in one go before the serving thread gets a turn back. */
const EVENTS_PER_SLICE = 100;

export interface ShipmentBody {
  /** `JSON.stringify({ outbox, events })`, byte for byte: `events` as `{ seq, event }` in outbox order. */
  json: string;
  /** The seqs of the events in it, in order (an event that cannot be shipped is left out). */
  seqs: number[];
}

/**
 * The body of one audit shipment (`POST …/audit`), built a slice of events at a time with a turn
 * of the event loop in between. `unshippable` hears of each event the protocol cannot carry.
 *
 * Why: the shipper runs on a node's serving thread, and mapping and serialising a full shipment
 * (1,000 events, ~420 KB of JSON) in one go held that thread for 2–14 ms (quiet to loaded
 * machine): every request arriving meanwhile waited, a stall as long as the node's whole p99
 * target (15 ms). In slices of 100 events no request waits behind more than a tenth of it; the
 * work is the same.
 */
export async function shipmentBody(
  outbox: string,
  pending: readonly { seq: number; event: AuditEventInput }[],
  unshippable: (seq: number, event: AuditEventInput) => void,
): Promise<ShipmentBody> {
  const parts: string[] = [];
  const seqs: number[] = [];
  for (let start = 0; start < pending.length; start += EVENTS_PER_SLICE) {
    if (start > 0) await nextTurn();
    for (const { seq, event } of pending.slice(start, start + EVENTS_PER_SLICE)) {
      const shipped = toShipped(event);
      if (!shipped) {
        unshippable(seq, event);
        continue;
      }
      parts.push(JSON.stringify({ seq, event: shipped }));
      seqs.push(seq);
    }
  }
  return { json: `{"outbox":${JSON.stringify(outbox)},"events":[${parts.join(',')}]}`, seqs };
}
