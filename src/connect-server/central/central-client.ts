import type { ItemFilter } from '../../domain/connect/filter.js';
import type { FileView } from '../../domain/items/file-service.js';
import type { FullItem, ItemSummary, WriteReceipt } from '../../domain/items/item-service.js';
import type { VaultView } from '../../domain/vaults/vault-service.js';
import type { AuditEvent } from '../../storage/ports.js';

/** An access token as the user vault API received it: its scheme, the DPoP proof, the request line. */
export interface PresentedToken {
  scheme: 'Bearer' | 'DPoP';
  token: string;
  /** The `DPoP` header, if any (several are joined by commas). */
  proof: string | undefined;
  method: string;
  /** The request path, without the query. */
  path: string;
}

/**
 * One Connect API call as the central service needs to see it: the caller's bearer token (the
 * central service verifies it again, so revocation is immediate) and the request facts for the
 * audit trail.
 */
export interface ConnectCall {
  token: string;
  /**
   * How the caller of the user vault API presented its token, for DPoP (RFC 9449 §7). Only
   * `/api/v1` sets it: a Connect listener's calls never carry it, so it never travels over RPC.
   */
  presented?: PresentedToken;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * The narrow seam between a Connect server and the central service. Two implementations: in
 * process (`keyhold serve --connect …`) and over HTTP (`keyhold connect`). Every method takes
 * the call, authenticates it for this server, and returns plain JSON-able values, except
 * `getItem`, which returns the item already as the UTF-8 JSON to send (see domain/items/served.ts).
 */
export interface CentralClient {
  listVaults(call: ConnectCall): Promise<VaultView[]>;
  getVault(call: ConnectCall, vaultId: string): Promise<VaultView>;
  /** The vault's items in list order, those passing `filter` (Connect's `?filter=`) when one is given. */
  listItems(call: ConnectCall, vaultId: string, filter?: ItemFilter): Promise<ItemSummary[]>;
  /** The item as Connect's JSON, UTF-8: what `JSON.stringify` of a `FullItem` gives. */
  getItem(call: ConnectCall, vaultId: string, itemId: string): Promise<Buffer>;
  createItem(call: ConnectCall, vaultId: string, body: unknown): Promise<FullItem | WriteReceipt>;
  replaceItem(
    call: ConnectCall,
    vaultId: string,
    itemId: string,
    body: unknown,
  ): Promise<FullItem | WriteReceipt>;
  patchItem(
    call: ConnectCall,
    vaultId: string,
    itemId: string,
    operations: unknown,
  ): Promise<FullItem | WriteReceipt>;
  deleteItem(call: ConnectCall, vaultId: string, itemId: string): Promise<void>;
  listFiles(call: ConnectCall, vaultId: string, itemId: string): Promise<FileView[]>;
  getFile(call: ConnectCall, vaultId: string, itemId: string, fileId: string): Promise<FileView>;
  fileContent(
    call: ConnectCall,
    vaultId: string,
    itemId: string,
    fileId: string,
  ): Promise<{ file: FileView; content: Buffer }>;
  addFile(
    call: ConnectCall,
    vaultId: string,
    itemId: string,
    file: { name: string; content: Buffer },
  ): Promise<FileView>;
  activity(
    call: ConnectCall,
    page: { limit: number; offset: number },
  ): Promise<{ events: AuditEvent[]; total: number }>;
}
