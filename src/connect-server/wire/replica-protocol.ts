import { z } from 'zod';
import { ID_PATTERN } from '../../crypto/ids.js';
import { bounded, MAX_ID, MAX_USER_AGENT } from '../../domain/audit/bounds.js';
import type { AuditEventInput } from '../../storage/ports.js';
import { AUDIT_RESULTS, VAULT_TYPES } from '../../storage/ports.js';

/**
 * What the central service sends a standalone Connect node (`keyhold connect`) so that it can
 * serve on its own, and what the node sends back. Both sides import this file, so the two cannot
 * drift apart; the node parses every message with these schemas and treats one that does not
 * parse as lost (it reconnects and resumes from its last mark), never as data.
 *
 * Everything secret travels as it is stored centrally: item versions and file contents sealed
 * under their vault's data key (AES-256-GCM with AAD naming their place, crypto/envelope.ts), and
 * each vault's data key wrapped to the server's public key (JWE ECDH-ES, crypto/server-key.ts).
 * Binary values are base64.
 *
 * ## The stream
 *
 * `GET {REPLICA_PATH}/stream?after=SEQ&epoch=EPOCH` with `Authorization: Bearer <server secret>`
 * answers `text/event-stream`: one record per event, its JSON in the `data:` line.
 *
 * - Every change committed centrally has a sequence number (`seq`), consecutive in commit order
 *   within one `epoch` (the change log's identity; a database restored from a backup starts a
 *   new one). The records of a change are followed by a `mark` with its `seq`: a node has applied
 *   everything up to a mark when it has applied every record before it, and resumes after the
 *   last mark it applied (`after`), in the same epoch.
 * - Records are states, not deltas: an `item` record is the item as it is when the record is
 *   sent, so applying one twice, or one that is already out of date, is harmless (the node keeps
 *   the higher version) and a resumed stream may repeat what the node has.
 * - When the node cannot be brought up to date change by change (no `after`, another epoch, a
 *   gap the central service no longer keeps, or a change that alters which vaults the server may
 *   reach), the stream starts with `reset`: the records up to the next `mark` are the whole state,
 *   and replace the replica at once when that mark arrives.
 * - While nothing changes, a `mark` with the current `seq` is sent every HEARTBEAT_MS, so the
 *   node knows the stream is alive: it gives up on a stream silent for STREAM_SILENCE_MS and
 *   connects again.
 * - The central service never sends a vault, item, file or token the server may not reach.
 *   `vault-gone` tells the node to purge a vault; `server-gone` (or a 401 to the stream) that the
 *   server was deleted: the node wipes its replica and stops serving.
 *
 * ## Writes
 *
 * Writes go to the central service as RPCs (rpc.ts); the answer of a write carries, beside its
 * `result`, the `records` of what it changed, which the node applies before it answers, so a
 * client reads its own writes at once.
 *
 * ## The audit outbox
 *
 * `POST {REPLICA_PATH}/audit` with `{outbox, events: [{seq, event}]}`: the node's read events in
 * the order they were recorded. `outbox` names the node's outbox (random, made with it); the
 * central service stores each event once, in order, and answers `{through}`, the highest `seq` it
 * holds of that outbox, after which the node may drop those events.
 */
export const REPLICA_PATH = '/api/connect-server/v1/replica';

/** How often the central service sends a `mark` on a stream with nothing else to send. */
export const HEARTBEAT_MS = 5_000;
/**
 * The largest record (its `data:` text, in characters) a node takes from the stream: past it the
 * node drops the connection and resumes, as for a record that does not parse, so a hostile or
 * broken stream cannot grow the node's memory without bound. An item's record carries its files
 * inline in base64 (4/3 of their size) beside its sealed content (at most 1 MiB before sealing):
 * 256 Mi characters hold about 190 MiB of files per item, over 35 files at the default
 * KEYHOLD_MAX_FILE_SIZE (5 MiB). V8 cannot hold a string much past 512 Mi characters anyway.
 */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
/** How long a node waits on a silent stream before it connects again. */
export const STREAM_SILENCE_MS = 15_000;

const id = z.string().regex(ID_PATTERN, 'must be a 26-character id');
const base64 = z.base64();
const instant = z.iso.datetime({ offset: false });
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const version = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** The change log's identity: random text, changed when the log starts over. */
const epoch = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);

export const serverState = z.strictObject({
  id,
  accountId: id,
  /** The vaults the server may reach, now. */
  vaults: z.array(id).max(10_000),
});

export const signingKeyState = z.strictObject({
  kid: z.string().min(1).max(200),
  accountId: id,
  /** Only Connect keys are sent: only they sign Connect tokens. */
  kind: z.literal('connect'),
  /** The public JWK as JSON text. */
  publicJwk: z.string().min(1).max(4_096),
  createdAt: instant,
  retiredAt: instant.nullable(),
  /**
   * Set once the key is withdrawn for good: the node refuses every token it signed. Optional so
   * that a record from a central service that predates withdrawal (or a sealed row a node kept
   * from then) still parses; absent means not withdrawn.
   */
  withdrawnAt: instant.nullable().optional(),
});

export const tokenState = z.strictObject({
  id,
  accountId: id,
  serverId: id,
  grants: z
    .array(z.strictObject({ vaultId: id, permissions: z.array(z.enum(['read', 'write'])).max(2) }))
    .max(10_000),
  /** SHA-256 of the token's signature, as the central service stores it. */
  signatureHash: base64,
  createdAt: instant,
  expiresAt: instant.nullable(),
  revokedAt: instant.nullable(),
});

export const vaultState = z.strictObject({
  id,
  accountId: id,
  type: z.enum(VAULT_TYPES),
  /** Sealed `{name, description}`, under the vault's data key. */
  attributes: base64,
  attributeVersion: version,
  contentVersion: version,
  createdAt: instant,
  updatedAt: instant,
  /** The vault's data key wrapped to this server's public key (JWE compact serialization). */
  key: z.string().min(1).max(4_096),
});

/** A vault's content counters, moved by every item write. */
export const vaultContent = z.strictObject({ contentVersion: version, updatedAt: instant });

export const fileState = z.strictObject({
  id,
  itemId: id,
  vaultId: id,
  /** Sealed metadata, as stored centrally. */
  meta: base64,
  size: z.number().int().min(0),
  createdAt: instant,
  /** The sealed content. */
  content: base64,
});

/** An item's current version, sealed, with its head and files: the central row as it is. */
export const itemState = z.strictObject({
  id,
  vaultId: id,
  accountId: id,
  version,
  createdAt: instant,
  updatedAt: instant,
  lastEditedBy: z.string().min(1).max(200),
  head: base64.nullable(),
  overview: base64,
  content: base64,
  layout: z.number().int().min(1).max(100),
  files: z.array(fileState).max(10_000),
});

export const replicaRecord = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('reset'), epoch }),
  z.strictObject({ type: z.literal('server'), server: serverState }),
  z.strictObject({ type: z.literal('signing-key'), key: signingKeyState }),
  z.strictObject({ type: z.literal('token'), token: tokenState }),
  z.strictObject({ type: z.literal('vault'), vault: vaultState }),
  z.strictObject({ type: z.literal('vault-gone'), vaultId: id }),
  z.strictObject({ type: z.literal('item'), item: itemState, vaultContent }),
  z.strictObject({ type: z.literal('item-gone'), vaultId: id, itemId: id, vaultContent }),
  z.strictObject({ type: z.literal('mark'), epoch, seq }),
  z.strictObject({ type: z.literal('server-gone') }),
]);

export type ServerState = z.infer<typeof serverState>;
export type SigningKeyState = z.infer<typeof signingKeyState>;
export type TokenState = z.infer<typeof tokenState>;
export type VaultState = z.infer<typeof vaultState>;
export type VaultContent = z.infer<typeof vaultContent>;
export type FileState = z.infer<typeof fileState>;
export type ItemState = z.infer<typeof itemState>;
export type ReplicaRecord = z.infer<typeof replicaRecord>;

/** The stream's query: where the node stands, absent for a node with nothing yet. */
export const streamQuery = z.strictObject({
  after: z.coerce.number().pipe(seq).optional(),
  epoch: epoch.optional(),
});

/** The answer of a write RPC: its result, and what it changed for the node to apply. */
export interface WriteAnswer<T> {
  result: T;
  records: ReplicaRecord[];
}

/**
 * A read event recorded by a node, as shipped. The central service fills in the account and
 * checks every field against the server the outbox belongs to: a node may report only reads by
 * its own server's tokens (or refusals of tokens it could not verify), in its own account.
 */
export const shippedEvent = z.strictObject({
  occurredAt: instant,
  actorType: z.literal('connect_token'),
  actorId: z.string().min(1).max(200),
  tokenId: z.string().max(200).nullable(),
  action: z.enum(['READ', 'CREATE', 'UPDATE', 'DELETE']),
  resourceType: z.enum(['VAULT', 'ITEM', 'FILE']),
  /** The file of a file read; null otherwise. */
  resourceId: id.nullable(),
  vaultId: id.nullable(),
  itemId: id.nullable(),
  itemVersion: z.number().int().min(1).nullable(),
  result: z.enum(AUDIT_RESULTS),
  requestId: z.string().max(200).nullable(),
  ip: z.string().max(100).nullable(),
  userAgent: z
    .string()
    .nullable()
    .transform((ua) => bounded(ua, MAX_USER_AGENT)),
  /**
   * A refusal summary's count: bounded by the trail's column (a 32-bit integer), not lower. A
   * node's summary of one minute counts whatever a flood sent in it, and the shipper drops an
   * event this refuses, so a lower bound would let a large enough flood vanish from the trail.
   */
  count: z.number().int().min(1).max(2_147_483_647).optional(),
});

export const auditShipment = z.strictObject({
  /** The outbox's id: random, made with the node's data directory. */
  outbox: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  events: z
    .array(z.strictObject({ seq: z.number().int().min(1), event: shippedEvent }))
    .min(1)
    .max(1_000),
});

export type ShippedEvent = z.infer<typeof shippedEvent>;
export type AuditShipment = z.infer<typeof auditShipment>;

const SHIPPED_ACTIONS: ReadonlySet<string> = new Set(shippedEvent.shape.action.options);
const SHIPPED_RESOURCES: ReadonlySet<string> = new Set(shippedEvent.shape.resourceType.options);

/**
 * An outbox event as shipped (replica-protocol.ts `shippedEvent`), or undefined for one the
 * protocol does not carry (not a Connect token's read or write). The account is the central
 * service's to fill in. The rest is not validated here: the central service parses every shipment
 * strictly and refuses an event that does not fit by its seq, which the shipper then drops
 * loudly; checking each event on the node's serving thread too cost a tenth of its reads.
 */
export function toShipped(event: AuditEventInput): ShippedEvent | undefined {
  if (
    event.actorType !== 'connect_token' ||
    !SHIPPED_ACTIONS.has(event.action) ||
    !SHIPPED_RESOURCES.has(event.resourceType)
  )
    return undefined;
  return {
    occurredAt: event.occurredAt,
    actorType: event.actorType,
    actorId: event.actorId,
    tokenId: event.tokenId,
    action: event.action as ShippedEvent['action'],
    resourceType: event.resourceType as ShippedEvent['resourceType'],
    resourceId: event.resourceId,
    vaultId: event.vaultId,
    itemId: event.itemId,
    itemVersion: event.itemVersion,
    result: event.result,
    requestId: event.requestId,
    ip: event.ip,
    userAgent: event.userAgent,
    ...(event.count === undefined ? {} : { count: event.count }),
  };
}

/** A shipped event as the central trail records it: in the shipping server's account. */
export function fromShipped(event: ShippedEvent, accountId: string): AuditEventInput {
  return {
    occurredAt: event.occurredAt,
    accountId,
    actorType: event.actorType,
    actorId: bounded(event.actorId, MAX_ID) ?? '',
    tokenId: bounded(event.tokenId, MAX_ID),
    action: event.action,
    resourceType: event.resourceType,
    resourceId: event.resourceId,
    vaultId: event.vaultId,
    itemId: event.itemId,
    itemVersion: event.itemVersion,
    result: event.result,
    requestId: event.requestId,
    ip: event.ip,
    userAgent: event.userAgent,
    ...(event.count === undefined ? {} : { count: event.count }),
  };
}
export const auditReceipt = z.strictObject({ through: z.number().int().min(0) });
