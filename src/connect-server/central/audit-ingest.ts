import { auditUnavailable, concurrentConflict, invalidInput } from '../../errors/app-error.js';
import type { ConnectServerRecord, Storage, Stores } from '../../storage/ports.js';
import { type AuditShipment, fromShipped } from '../wire/replica-protocol.js';

type IngestStorage = Pick<Storage, 'connectTokens' | 'vaults'> & {
  transaction<R>(work: (tx: Pick<Stores, 'nodeOutboxes' | 'audit'>) => Promise<R>): Promise<R>;
};

/** How often a shipment retries when another shipment of the same outbox moved its mark first. */
const ATTEMPTS = 5;

/**
 * Stores a node's audit shipment (replica-protocol.ts `auditShipment`) in its server's account:
 * each event once, in order, in one transaction with the outbox's mark, so a shipment sent twice
 * or twice at once is stored once. Every event is checked against the server first, and one that
 * does not fit refuses the whole shipment: a SUCCESS must name a token of this server (as its
 * actor), and a vault must be one of the account's.
 */
export async function ingestAudit(
  storage: IngestStorage,
  server: ConnectServerRecord,
  shipment: AuditShipment,
): Promise<{ through: number }> {
  const tokens = new Map<string, boolean>();
  const vaults = new Map<string, boolean>();
  let previous = 0;
  for (const [i, { seq, event }] of shipment.events.entries()) {
    // The node's shipper reads the seq from this message to drop the one event and ship the rest.
    const refuse = (why: string) => invalidInput(`event ${i} (seq ${seq}) refused: ${why}`);
    if (seq <= previous) throw refuse('events must come in increasing seq order');
    previous = seq;
    if (event.result === 'SUCCESS') {
      if (!event.tokenId || event.actorId !== event.tokenId)
        throw refuse('a SUCCESS event must name its token as tokenId and actorId');
      let ours = tokens.get(event.tokenId);
      if (ours === undefined) {
        const token = await storage.connectTokens.get(event.tokenId);
        ours = token?.serverId === server.id && token.accountId === server.accountId;
        tokens.set(event.tokenId, ours);
      }
      if (!ours) throw refuse('its token is not a token of this server');
    }
    if (event.vaultId) {
      let known = vaults.get(event.vaultId);
      if (known === undefined) {
        known = (await storage.vaults.find(server.accountId, event.vaultId)) !== undefined;
        vaults.set(event.vaultId, known);
      }
      if (!known) throw refuse('its vault is not a vault of this account');
    }
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const through = await storage.transaction(async (tx) => {
      const from = await tx.nodeOutboxes.through(server.id, shipment.outbox);
      const fresh = shipment.events.filter((e) => e.seq > from);
      const last = fresh.at(-1);
      if (!last) return from;
      // The mark first: a concurrent shipment of this outbox waits here, then finds it moved.
      if (!(await tx.nodeOutboxes.advance(server.id, shipment.outbox, from, last.seq))) return undefined;
      try {
        // In one statement per 250 events: one statement per event cost the central service
        // more CPU than the node spent serving the read (a node's reads share its cores).
        await tx.audit.appendMany(fresh.map(({ event }) => fromShipped(event, server.accountId)));
      } catch (cause) {
        throw auditUnavailable(cause);
      }
      return last.seq;
    });
    if (through !== undefined) return { through };
  }
  throw concurrentConflict(new Error('the outbox mark kept moving'));
}
