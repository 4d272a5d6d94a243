import { describe, expect, it } from 'vitest';
import { shipmentBody } from '../../../src/connect-server/node/shipment-body.js';
import { auditShipment, toShipped } from '../../../src/connect-server/wire/replica-protocol.js';
import type { AuditEventInput } from '../../../src/storage/ports.js';

const read = (n: number): AuditEventInput => ({
  occurredAt: new Date(Date.UTC(2026, 11, 7, 4, 0, n % 60)).toISOString(),
  accountId: 'a'.repeat(26),
  actorType: 'connect_token',
  actorId: 't'.repeat(26),
  tokenId: 't'.repeat(26),
  action: 'READ',
  resourceType: 'ITEM',
  resourceId: null,
  vaultId: 'v'.repeat(26),
  itemId: 'i'.repeat(26),
  itemVersion: n + 1,
  result: 'SUCCESS',
  requestId: `req-${n}`,
  ip: '127.0.0.1',
  userAgent: 'ua "quoted" \u2028',
  ...(n % 7 === 0 ? { count: 3 } : {}),
});

describe('an audit shipment body', () => {
  const pending = Array.from({ length: 1_000 }, (_, i) => ({ seq: i + 11, event: read(i) }));

  it('is the JSON of { outbox, events } byte for byte, and what the central service parses', async () => {
    const { json, seqs } = await shipmentBody('outbox-aaaaaaaaaaaaaaaa', pending, () => {
      throw new Error('every event here can be shipped');
    });
    const events = pending.map(({ seq, event }) => ({ seq, event: toShipped(event) }));
    expect(json).toBe(JSON.stringify({ outbox: 'outbox-aaaaaaaaaaaaaaaa', events }));
    expect(seqs).toEqual(pending.map((p) => p.seq));
    const parsed = auditShipment.parse(JSON.parse(json));
    expect(parsed.events).toHaveLength(1_000);
    expect(parsed.events[7]?.event.count).toBe(3);
  });

  it('leaves out an event the protocol cannot carry, and says which', async () => {
    const admin = { ...read(2), actorType: 'user' } as AuditEventInput;
    const some = [pending[0], { seq: 12, event: admin }, pending[2]] as typeof pending;
    const dropped: number[] = [];
    const { json, seqs } = await shipmentBody('o', some, (seq) => dropped.push(seq));
    expect(dropped).toEqual([12]);
    expect(seqs).toEqual([11, 13]);
    expect(JSON.parse(json).events.map((e: { seq: number }) => e.seq)).toEqual([11, 13]);
    expect(await shipmentBody('o', [], () => {})).toEqual({ json: '{"outbox":"o","events":[]}', seqs: [] });
  });

  it('gives the event loop turns while it builds a full shipment (requests are not held behind it)', async () => {
    let turns = 0;
    let counting = true;
    const count = () => {
      if (!counting) return;
      turns++;
      setImmediate(count);
    };
    setImmediate(count);
    await shipmentBody('o', pending, () => {});
    counting = false;
    // 1,000 events in slices of 100: the loop ran between the slices.
    expect(turns).toBeGreaterThanOrEqual(9);
  });
});
