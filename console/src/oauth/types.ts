/** What the admin API answers for the OAuth registry (docs/admin-api.md, "OAuth"). */
export interface Scope {
  name: string;
  description: string;
  exclusive: boolean;
}

export interface ResourceServer {
  /** Null for the built-in vault API. */
  id: string | null;
  identifier: string;
  name: string;
  tokenFormat: 'opaque' | 'jwt';
  accessTokenTtl: number;
  builtIn: boolean;
  scopes: Scope[];
  createdAt: string | null;
}

export interface Client {
  clientId: string;
  name: string;
  authMethod: string;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  createdAt: string;
}

export interface Problem {
  severity: 'error' | 'warning';
  code: string;
  subject: string;
  message: string;
  suggestion?: string;
}

export interface Grant {
  id: string;
  userId: string;
  clientId: string;
  clientName: string;
  resource: string;
  scopes: string[];
  createdAt: string;
  updatedAt: string;
  /** What the user approved (RFC 9396): the tokens reach only what one entry allows. */
  authorizationDetails?: VaultAuthorizationDetail[];
}

export interface VaultAuthorizationDetail {
  type: 'keyhold_vault';
  vaults: string[];
  items?: string[];
  fields?: string[];
  actions: ('read' | 'write')[];
}

export interface ConnectedApplication {
  id: string;
  clientId: string;
  clientName: string;
  resource: string;
  resourceName: string;
  access: Array<{
    scope: string;
    words: string;
    vault: { id: string; name: string | null } | null;
    permission: 'read' | 'write' | null;
  }>;
  /** The approved authorization details in words, when the grant is narrowed to them. */
  narrowedTo: string[] | null;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
  accessTokenTtl: number;
  refreshTokenTtl: number;
}

export const OAUTH = '/oauth';
export const clientPath = (clientId: string) => `/oauth/clients/${encodeURIComponent(clientId)}`;
export const serverPath = (id: string) => `/oauth/resource-servers/${encodeURIComponent(id)}`;

/** Whether a client has a secret to rotate. */
export const hasSecret = (c: Client) =>
  c.authMethod === 'client_secret_basic' || c.authMethod === 'client_secret_post';

/** A time in the browser's own zone, to the minute. */
export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Seconds in words: 3600 → "1 hour". */
export function duration(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

export const AUTH_METHODS: Record<string, string> = {
  client_secret_basic: 'Secret (HTTP Basic)',
  client_secret_post: 'Secret (in the form)',
  private_key_jwt: 'Private key (signed assertion)',
  none: 'Public (no secret, PKCE)',
};
