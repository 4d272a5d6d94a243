/** Storage ports: The audit trail, and the directory that names its actors. */

export const AUDIT_ACTIONS = ['READ', 'CREATE', 'UPDATE', 'DELETE'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
/**
 * `DENY`: refused for lack of permission. `FAILURE`: a permitted write that was not done (its
 * input was invalid, the item was missing or had changed); the event names what was attempted.
 */
export const AUDIT_RESULTS = ['SUCCESS', 'DENY', 'FAILURE'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];
export const AUDIT_RESOURCE_TYPES = [
  'ACCOUNT',
  'USER',
  'TOKEN',
  'SERVER',
  'SIGNING_KEY',
  'VAULT',
  'ITEM',
  'FILE',
  'RESOURCE_SERVER',
  'OAUTH_CLIENT',
  'OAUTH_GRANT',
  'OAUTH_TOKEN',
  'LOGIN_SESSION',
  'PASSWORD_RESET',
  /** A user's second factor (TOTP and recovery codes); the resource id is the user's. */
  'MFA',
  /** The pending second step of a sign-in whose password was right. */
  'MFA_CHALLENGE',
] as const;
export type AuditResourceType = (typeof AUDIT_RESOURCE_TYPES)[number];

/** An audit event. Never holds a secret value: only ids, verbs and request facts. */
export interface AuditEventInput {
  occurredAt: string;
  accountId: string | null;
  actorType: string;
  actorId: string;
  tokenId: string | null;
  action: AuditAction;
  resourceType: AuditResourceType;
  resourceId: string | null;
  vaultId: string | null;
  itemId: string | null;
  itemVersion: number | null;
  result: AuditResult;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  /**
   * How many requests the event stands for: 1 (the default) for an event of its own, more for a
   * summary of refusals from one source that were counted instead of written one by one.
   */
  count?: number;
}

export interface AuditEvent extends AuditEventInput {
  /** Monotonic sequence number, assigned on append. */
  seq: number;
  count: number;
}

/**
 * What a reader of the trail narrows it to; every field given must match (AND). Times are RFC
 * 3339 UTC strings as `toISOString` writes them (the form `occurredAt` is stored in), so they
 * compare as text.
 */
export interface AuditFilter {
  actorId?: string;
  action?: AuditAction;
  result?: AuditResult;
  resourceType?: AuditResourceType;
  /** Matches an event whose `resourceId`, `vaultId` or `itemId` is this id. */
  resourceId?: string;
  /** Events that occurred at or after this time. */
  since?: string;
  /** Events that occurred before this time. */
  until?: string;
}

export interface AuditStore {
  append(event: AuditEventInput): Promise<void>;
  /**
   * Appends these events in this order, in a few multi-row inserts: for a transaction that stores
   * many at once (a Connect node's audit shipment, up to 1,000 events), where one statement per
   * event cost more than the rest of the shipment's work. In a transaction, part of it.
   */
  appendMany(events: readonly AuditEventInput[]): Promise<void>;
  /**
   * Newest first, narrowed by the filter's fields; `beforeSeq` pages backwards. Each of the
   * common filters (actor, resource id, time range) is served by an index (migration 0014).
   */
  list(
    accountId: string,
    options: AuditFilter & { limit: number; beforeSeq?: number },
  ): Promise<AuditEvent[]>;
  /** Events made with any of these tokens, newest first, with the total for paging. */
  listByTokens(
    accountId: string,
    tokenIds: string[],
    options: { limit: number; offset: number },
  ): Promise<{ events: AuditEvent[]; total: number }>;
  /**
   * For each of these Connect tokens, when its newest event as a Connect token (actor type
   * `connect_token`) with one of these results occurred; a token without one is left out. One
   * query (per 500 tokens), each token found by one step down the audit_token_occurred index
   * (migration 0018), however long its trail.
   */
  newestConnectTokenUses(
    accountId: string,
    tokenIds: readonly string[],
    results: readonly AuditResult[],
  ): Promise<Map<string, string>>;
  /**
   * Deletes up to `limit` events with this `result` that occurred before `before`, oldest first,
   * in one short write; answers how many it deleted (fewer than `limit`: none such are left).
   * Retention calls it in batches, so no call holds the write lock for long.
   */
  prune(result: AuditResult, before: string, limit: number): Promise<number>;
}

/**
 * The names of whoever appears as an actor in an account's audit trail, looked up many ids at a
 * time (one query per kind of actor for a page of events). Only the account's own rows answer:
 * an id of another account is as absent as a deleted one. Ids not found are left out.
 */
export interface ActorDirectory {
  users(accountId: string, ids: readonly string[]): Promise<{ id: string; email: string }[]>;
  adminTokens(
    accountId: string,
    ids: readonly string[],
  ): Promise<{ id: string; name: string; role: string }[]>;
  /** With the name of the token's Connect server. */
  connectTokens(
    accountId: string,
    ids: readonly string[],
  ): Promise<{ id: string; name: string; serverName: string }[]>;
  oauthClients(accountId: string, ids: readonly string[]): Promise<{ id: string; name: string }[]>;
  /** OAuth tokens with the name of the client they were issued to. */
  oauthTokens(accountId: string, ids: readonly string[]): Promise<{ id: string; clientName: string }[]>;
}
