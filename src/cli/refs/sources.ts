import type { Command } from 'commander';
import { AdminClient, type ClientOptions } from '../client.js';
import { ApiError, CliError } from '../errors.js';
import { type CliResponse, httpRequest } from '../http.js';
import { isPlainHttpOverNetwork } from '../plain-http.js';
import { unreachable } from '../sign-in.js';

/**
 * Where secret references are resolved: the central service's admin API (a `keyhold login`
 * sign-in or an admin token) or a Connect server (a Connect token, all an application host needs).
 * Both speak the same item shape (the admin API's items are Connect's), so the resolver only
 * needs these three reads.
 */

export interface RefVault {
  id: string;
  name: string;
}
export interface RefItemSummary {
  id: string;
  title: string;
}
export interface RefField {
  id: string;
  type: string;
  purpose?: string;
  label: string;
  value?: string;
  section?: { id: string };
}
export interface RefItem {
  id: string;
  title: string;
  sections?: { id: string; label?: string }[];
  fields?: RefField[];
}

export interface SecretSource {
  /** Which source, in words, for messages: "the Connect server at https://…". */
  readonly description: string;
  /** Appended to "no vault named …": whose view of the vaults it is. */
  readonly reach: string;
  /** The vaults the credential can see. */
  vaults(): Promise<RefVault[]>;
  /** The vault's item summaries. */
  items(vault: RefVault): Promise<RefItemSummary[]>;
  /** One whole item; undefined when the source says it does not exist (or may not be reached). */
  item(vault: RefVault, itemId: string): Promise<RefItem | undefined>;
}

/** The environment variables that select a Connect server, KEYHOLD_ ones first. */
const CONNECT_VARIABLES = [
  ['KEYHOLD_CONNECT_HOST', 'KEYHOLD_CONNECT_TOKEN'],
  ['OP_CONNECT_HOST', 'OP_CONNECT_TOKEN'],
] as const;

/**
 * The source a command uses: the central service when `--addr` or `--token` is given; otherwise a
 * Connect server when KEYHOLD_CONNECT_HOST and KEYHOLD_CONNECT_TOKEN (or OP_CONNECT_HOST and
 * OP_CONNECT_TOKEN) are set; otherwise the central service (KEYHOLD_TOKEN / KEYHOLD_ADDR, or the
 * `keyhold login` sign-in). Half a pair is an error, not a silent fall-back to another source.
 */
export function sourceFor(options: ClientOptions, env: NodeJS.ProcessEnv = process.env): SecretSource {
  if (options.addr === undefined && options.token === undefined) {
    for (const [hostVar, tokenVar] of CONNECT_VARIABLES) {
      const host = env[hostVar];
      const token = env[tokenVar];
      if (host && token) return new ConnectSource(host, token, hostVar);
      if (host || token) {
        throw new CliError(
          `${host ? hostVar : tokenVar} is set but ${host ? tokenVar : hostVar} is not: set both to use a Connect server, or neither to use the central service`,
        );
      }
    }
  }
  return new CentralSource(new AdminClient(options, env));
}

/** The central service's admin API, through the CLI's usual client (sign-in refresh included). */
class CentralSource implements SecretSource {
  readonly description = 'the central service';
  readonly reach = ' that you can read';
  constructor(private readonly client: AdminClient) {}

  vaults(): Promise<RefVault[]> {
    return this.client.request<RefVault[]>('GET', 'vaults');
  }
  items(vault: RefVault): Promise<RefItemSummary[]> {
    return this.client.request<RefItemSummary[]>('GET', `vaults/${encodeURIComponent(vault.id)}/items`);
  }
  async item(vault: RefVault, itemId: string): Promise<RefItem | undefined> {
    try {
      return await this.client.request<RefItem>(
        'GET',
        `vaults/${encodeURIComponent(vault.id)}/items/${encodeURIComponent(itemId)}`,
      );
    } catch (error) {
      if (error instanceof ApiError && error.httpStatus === 404) return undefined;
      throw error;
    }
  }
}

/**
 * A Connect server's REST API (`/v1/vaults…`) with a Connect token. A token sees only the vaults
 * it was granted, so a vault or item it cannot reach looks the same as one that does not exist:
 * messages say so without telling which.
 */
class ConnectSource implements SecretSource {
  readonly description: string;
  readonly reach = ' that this Connect token can reach';
  readonly #base: URL;

  constructor(
    host: string,
    private readonly token: string,
    hostVar: string,
  ) {
    try {
      this.#base = new URL(host.endsWith('/') ? host : `${host}/`);
    } catch {
      throw new CliError(
        `${hostVar} ${JSON.stringify(host)} is not a URL; expected something like http://127.0.0.1:8080`,
      );
    }
    if (this.#base.protocol !== 'http:' && this.#base.protocol !== 'https:') {
      throw new CliError(`${hostVar} must be an http:// or https:// URL, got ${JSON.stringify(host)}`);
    }
    this.description = `the Connect server at ${this.#base.origin}`;
    if (isPlainHttpOverNetwork(this.#base)) {
      process.stderr.write(
        `keyhold: warning: ${this.#base.origin} is plain http to a host that is not loopback: the Connect token and every secret read cross the network unencrypted; use https://\n`,
      );
    }
  }

  async vaults(): Promise<RefVault[]> {
    return (await this.#get<RefVault[]>('v1/vaults', 'list its vaults')) ?? [];
  }

  async items(vault: RefVault): Promise<RefItemSummary[]> {
    const items = await this.#get<RefItemSummary[]>(
      `v1/vaults/${encodeURIComponent(vault.id)}/items`,
      'list items',
    );
    if (items === undefined) {
      throw new CliError(`this Connect token cannot list the items of vault '${vault.name}' (${vault.id})`);
    }
    return items;
  }

  item(vault: RefVault, itemId: string): Promise<RefItem | undefined> {
    return this.#get<RefItem>(
      `v1/vaults/${encodeURIComponent(vault.id)}/items/${encodeURIComponent(itemId)}`,
      'read an item',
    );
  }

  /** A GET; undefined for 403 and 404 (out of the token's reach, or absent: the same to us). */
  async #get<T>(path: string, what: string): Promise<T | undefined> {
    const url = new URL(path, this.#base);
    let response: CliResponse;
    try {
      response = await httpRequest(url, {
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
      });
    } catch (error) {
      const refused = unreachable(url, error);
      throw new CliError(
        refused.message.replace('is `keyhold serve` running there?', 'is the Connect server running there?'),
      );
    }
    if (response.ok) return (await response.json()) as T;
    if (response.status === 403 || response.status === 404) return undefined;
    if (response.status === 401) {
      throw new CliError(`${this.description} refused the Connect token (it is invalid, expired or revoked)`);
    }
    throw new CliError(`${this.description} could not ${what} (HTTP ${response.status})`);
  }
}

/** `--addr` and `--token`, as remote commands have them, on a command that resolves references. */
export function sourceOptions(command: Command): Command {
  return command
    .option(
      '--addr <url>',
      'central service address (env KEYHOLD_ADDR); given, the central service is used even when a Connect server is configured',
    )
    .option(
      '--token <token>',
      'admin API token (env KEYHOLD_TOKEN; prefer the variable: arguments are visible in the process list)',
    );
}
