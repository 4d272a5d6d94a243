/** The admin API's audit shapes (docs/admin-api.md "Audit trail"). */
export interface AuditEvent {
  seq: number;
  occurredAt: string;
  actorType: string;
  actorId: string;
  actorLabel: string;
  actorKnown: boolean;
  action: string;
  resourceType: string;
  resourceId: string | null;
  vaultId: string | null;
  itemId: string | null;
  itemVersion: number | null;
  result: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  count: number;
}

export const ACTIONS = ['READ', 'CREATE', 'UPDATE', 'DELETE'] as const;
export const RESULTS = ['SUCCESS', 'DENY', 'FAILURE'] as const;
export const RESOURCE_TYPES = [
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
  'MFA',
  'MFA_CHALLENGE',
] as const;

/** The trail's filters as the form holds them ('' = any); times as `datetime-local` values. */
export interface Filters {
  actor: string;
  action: string;
  result: string;
  resourceType: string;
  resource: string;
  since: string;
  until: string;
}

export const NO_FILTERS: Filters = {
  actor: '',
  action: '',
  result: '',
  resourceType: '',
  resource: '',
  since: '',
  until: '',
};

/** A `datetime-local` value (the browser's zone) as the RFC 3339 instant the API reads. */
export function instantOf(local: string): string | undefined {
  if (local === '') return undefined;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/** The query of `GET /audit` and of its export for these filters (no page). */
export function filterQuery(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of ['actor', 'action', 'result', 'resourceType'] as const) {
    if (filters[key] !== '') query.set(key, filters[key]);
  }
  const resource = filters.resource.trim();
  if (resource !== '') query.set('resource', resource);
  const since = instantOf(filters.since);
  const until = instantOf(filters.until);
  if (since) query.set('since', since);
  if (until) query.set('until', until);
  return query;
}

/** `ITEM_VERSION`-style names as words: `OAUTH_CLIENT` → `OAuth client`. */
export function words(name: string): string {
  const text = name.toLowerCase().replace(/_/g, ' ').replace('oauth', 'OAuth').replace('mfa', 'MFA');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
