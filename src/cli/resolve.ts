import type { AdminClient } from './client.js';
import { ApiError, CliError } from './errors.js';
import { type Nameable, pickByNameOrId } from './name-or-id.js';

/**
 * What a user typed for a vault, item, Connect server, OAuth client, user or resource server,
 * turned into the one it means, by the rule of `pickByNameOrId` (an id wins, then the exact name,
 * then the name ignoring case; several matches fail listing them with their ids).
 *
 * An id costs one request: a query shaped like an id is looked up by id first, and only when that
 * answers 404 are the candidates listed (so a thing named like an id is still found by its name).
 * Items are the exception to both: a vault may hold 100,000 of them, and reading one by id is an
 * audited read of its secrets, so an id-shaped item query is taken as the id without a request
 * (the command's own request answers 404 if there is none), and a title is looked up with the
 * server's title search, never by listing the vault.
 */

/** Ids of vaults, items, servers, users: 26 characters of a-z and 0-9 (src/crypto/ids.ts). */
const ID = /^[a-z0-9]{26}$/;
/** OAuth client ids: `kc-` and an id. */
const CLIENT_ID = /^kc-[a-z0-9]{26}$/;

/** The answer of `get`, or undefined when the API answers 404 (any other failure is thrown). */
async function unless404<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (error) {
    if (error instanceof ApiError && error.httpStatus === 404) return undefined;
    throw error;
  }
}

const seg = encodeURIComponent;

/** A thing by id (when the query looks like one and exists), else picked from the list. */
async function byIdThenList<T>(
  query: string,
  kind: string,
  looksLikeId: boolean,
  get: (id: string) => Promise<T>,
  list: () => Promise<T[]>,
  nameable: (t: T) => Nameable,
): Promise<T> {
  if (looksLikeId) {
    const found = await unless404(() => get(query));
    if (found !== undefined) return found;
  }
  const all = await list();
  const picked = pickByNameOrId(all.map(nameable), query, kind);
  return all[all.map(nameable).findIndex((n) => n.id === picked.id)] as T;
}

export interface VaultRef {
  id: string;
  name: string;
  items: number;
}

/** A vault by id or name. */
export function resolveVault(client: AdminClient, query: string): Promise<VaultRef> {
  return byIdThenList(
    query,
    'vault',
    ID.test(query),
    (id) => client.request<VaultRef>('GET', `vaults/${seg(id)}`),
    () => client.request<VaultRef[]>('GET', 'vaults'),
    (v) => v,
  );
}

export interface ItemRef {
  id: string;
  title: string;
}

/** Longest `q` the item search takes (docs/admin-api.md). */
const MAX_SEARCH = 200;

/**
 * An item of a vault by id or title. A title is looked up with the server's search (its words
 * in titles, tags and URLs, from an in-memory index), then matched exactly here; only a title
 * longer than the search takes falls back to listing the vault.
 */
export async function resolveItem(client: AdminClient, vaultId: string, query: string): Promise<ItemRef> {
  if (ID.test(query)) return { id: query, title: query };
  const candidates: ItemRef[] = [];
  if (query.length > MAX_SEARCH) {
    candidates.push(...(await client.request<ItemRef[]>('GET', `vaults/${seg(vaultId)}/items`)));
  } else {
    let cursor: string | undefined;
    do {
      const page = await client.request<{ items: ItemRef[]; nextCursor?: string }>(
        'GET',
        `vaults/${seg(vaultId)}/items/search`,
        undefined,
        { q: query, limit: '200', cursor },
      );
      candidates.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
  const picked = pickByNameOrId(
    candidates.map((i) => ({ id: i.id, name: i.title })),
    query,
    'item',
  );
  return { id: picked.id, title: picked.name };
}

/** An item in a vault's trash, by id or title (the trash is not searched: it is listed). */
export async function resolveTrashedItem(
  client: AdminClient,
  vaultId: string,
  query: string,
): Promise<ItemRef> {
  const trash = await client.request<ItemRef[]>('GET', `vaults/${seg(vaultId)}/trash`);
  const picked = pickByNameOrId(
    trash.map((i) => ({ id: i.id, name: i.title })),
    query,
    'item in the trash',
  );
  return { id: picked.id, title: picked.name };
}

/** A vault and an item in it, as typed: the vault first, then the item within it. */
export async function resolveVaultItem(
  client: AdminClient,
  vaultQuery: string,
  itemQuery: string,
): Promise<{ vault: VaultRef; item: ItemRef }> {
  const vault = await resolveVault(client, vaultQuery);
  return { vault, item: await resolveItem(client, vault.id, itemQuery) };
}

export interface ServerRef {
  id: string;
  name: string;
}

/** A Connect server by id or name. */
export function resolveServer(client: AdminClient, query: string): Promise<ServerRef> {
  return byIdThenList(
    query,
    'Connect server',
    ID.test(query),
    (id) => client.request<ServerRef>('GET', `servers/${seg(id)}`),
    () => client.request<ServerRef[]>('GET', 'servers'),
    (s) => s,
  );
}

export interface ClientRef {
  clientId: string;
  name: string;
}

/** An OAuth client by client_id or name. */
export function resolveClient(client: AdminClient, query: string): Promise<ClientRef> {
  return byIdThenList(
    query,
    'client',
    CLIENT_ID.test(query),
    (id) => client.request<ClientRef>('GET', `clients/${seg(id)}`),
    () => client.request<ClientRef[]>('GET', 'clients'),
    (c) => ({ id: c.clientId, name: c.name }),
  );
}

export interface UserRef {
  id: string;
  email: string;
}

/**
 * A user by email or id. An email is one request (the API's email lookup, which ignores case);
 * an id is looked up by id.
 */
export async function resolveUser(client: AdminClient, query: string): Promise<UserRef> {
  if (query.includes('@')) {
    // An unknown address is the API's own 404, which names it.
    const [user] = await client.request<UserRef[]>('GET', 'users', undefined, { email: query });
    if (!user) throw new CliError(`no user with email '${query}'`);
    return user;
  }
  if (ID.test(query)) {
    const found = await unless404(() => client.request<UserRef>('GET', `users/${seg(query)}`));
    if (found) return found;
  }
  throw new CliError(`no user with email or id '${query}'`);
}

export interface ResourceServerRef {
  id?: string;
  identifier: string;
  name: string;
}

/** A registered resource server by id, identifier URI or name (the built-in one has no id). */
export async function resolveResourceServer(
  client: AdminClient,
  query: string,
): Promise<ResourceServerRef & { id: string }> {
  const all = (await client.request<ResourceServerRef[]>('GET', 'resource-servers')).filter(
    (s): s is ResourceServerRef & { id: string } => s.id !== undefined,
  );
  const byIdentifier = all.find((s) => s.identifier === query);
  if (byIdentifier && !all.some((s) => s.id === query)) return byIdentifier;
  const picked = pickByNameOrId(all, query, 'resource server');
  return picked;
}
