import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ConnectCredentials } from '../../domain/connect/server-service.js';
import type { AdminClient } from '../client.js';
import { DEFAULT_ADDR } from '../client.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { resolveServer, resolveVault } from '../resolve.js';
import { occupied, refuseOverwrite, writeSecretFile } from '../secret-file.js';
import { apiPath, clientFor, collect, type RemoteOptions, remote } from './remote.js';

interface Server {
  id: string;
  name: string;
  vaults: string[];
  createdAt: string;
}

export const DEFAULT_CREDENTIALS_FILE = '1password-credentials.json';

const describeServer = (s: Server): string =>
  [
    `${s.name} (${s.id})`,
    `  vaults:  ${s.vaults.length > 0 ? s.vaults.join(', ') : '(none)'}`,
    `  created: ${s.createdAt}`,
  ].join('\n');

/** Vaults named by a flag (names or ids), as ids, duplicates dropped. */
async function vaultIds(client: AdminClient, queries: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const q of queries) ids.push((await resolveVault(client, q.trim())).id);
  return [...new Set(ids)];
}

/** `--vaults V1,V2`: at least one vault (name or id). */
export function parseVaultList(raw: string): string[] {
  const vaults = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (vaults.length === 0) throw new CliError('--vaults needs at least one vault (--vaults V1,V2)');
  return vaults;
}

/** The central address the CLI talks to, as a Connect server should reach it (no path, no slash). */
function centralAddress(opts: RemoteOptions): string {
  const addr = opts.addr ?? process.env.KEYHOLD_ADDR ?? DEFAULT_ADDR;
  try {
    return new URL(addr).origin;
  } catch {
    throw new CliError(
      `--addr ${JSON.stringify(addr)} is not a URL; expected something like ${DEFAULT_ADDR}`,
    );
  }
}

/** Whether anything (a dangling symlink included) is at `file`. */
const errno = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** Writes the credentials with mode 0600, replacing a file only with `force` (secret-file.ts). */
function writeCredentials(file: string, credentials: ConnectCredentials, force: boolean): void {
  writeSecretFile(file, `${JSON.stringify(credentials, null, 2)}\n`, force);
}

interface CreateOptions extends RemoteOptions {
  vaults?: string;
  out?: string;
  force?: boolean;
}

/** `keyhold server …`: the account's Connect servers. */
export function registerServer(program: Command): void {
  const server = program.command('server').description("manage the Connect servers of the caller's account");

  remote(
    server
      .command('create <name>')
      .description(
        'create a Connect server and write its credentials file (mode 0600); the server secret is never printed',
      )
      .option(
        '--vaults <vaults>',
        'comma-separated names or ids of the vaults the server may access (giving one takes the right to manage it); default none',
      )
      .option('--out <file>', `where to write the credentials file (default ./${DEFAULT_CREDENTIALS_FILE})`)
      .option('--force', 'replace the credentials file if it exists'),
  ).action(async (name: string, opts: CreateOptions) => {
    const wanted = opts.vaults === undefined ? [] : parseVaultList(opts.vaults);
    const file = resolve(opts.out ?? DEFAULT_CREDENTIALS_FILE);
    const central = centralAddress(opts);
    // Checked before the server exists: its secret is returned once, so a file that cannot be
    // written afterwards would leave a server nobody can use.
    if (!opts.force && occupied(file)) throw refuseOverwrite(file);
    const client = clientFor(opts);
    const vaults = await vaultIds(client, wanted);
    const created = await client.request<Server & { credentials: ConnectCredentials }>('POST', 'servers', {
      name,
      vaults,
    });
    try {
      writeCredentials(file, { ...created.credentials, central }, opts.force === true);
    } catch (error) {
      // Without its credentials the server is useless: take it back rather than leave it behind.
      const undone = await client.request('DELETE', apiPath('servers', created.id)).then(
        () => 'it was deleted again',
        () => `delete it with: keyhold server delete ${created.id}`,
      );
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CliError(
          `${file} appeared while the server was created; refusing to overwrite it (${undone})`,
        );
      }
      throw new CliError(
        `cannot write ${file}: ${errno(error)}; server ${created.id} has no credentials (${undone})`,
      );
    }
    const result = { id: created.id, name: created.name, vaults: created.vaults, credentialsFile: file };
    emit(result, opts, (s) =>
      [
        `Server ${s.name} (${s.id}) created with access to ${s.vaults.length} vault(s): ${s.vaults.join(', ')}`,
        `Credentials written to ${s.credentialsFile} (mode 0600). Keep this file secret; it cannot be downloaded again.`,
        'Next, issue a token for it:',
        `  keyhold token create <token-name> --server ${s.id} --vault ${s.vaults[0] ?? '<vault-id>'}:read`,
      ].join('\n'),
    );
  });

  remote(
    server
      .command('credentials <server>')
      .description(
        'make new credentials for a Connect server: a new secret (the old one stops working at once) and a new key pair, written to a version-2 credentials file (mode 0600). Needed for a server created before Connect nodes kept a replica, before `keyhold connect` can serve it standalone',
      )
      .option('--out <file>', `where to write the credentials file (default ./${DEFAULT_CREDENTIALS_FILE})`)
      .option('--force', 'replace the credentials file if it exists'),
  ).action(async (serverQuery: string, opts: CreateOptions) => {
    const file = resolve(opts.out ?? DEFAULT_CREDENTIALS_FILE);
    const central = centralAddress(opts);
    // Checked first: the new secret is returned once, and the old one stops working at once.
    if (!opts.force && occupied(file)) throw refuseOverwrite(file);
    const client = clientFor(opts);
    const { id: serverId } = await resolveServer(client, serverQuery);
    const made = await client.request<Server & { credentials: ConnectCredentials }>(
      'POST',
      apiPath('servers', serverId, 'credentials'),
      {},
    );
    try {
      writeCredentials(file, { ...made.credentials, central }, opts.force === true);
    } catch (error) {
      throw new CliError(
        `cannot write ${file}: ${errno(error)}; server ${made.id}'s old credentials no longer work: run this command again with another --out`,
      );
    }
    const result = { id: made.id, name: made.name, credentialsFile: file };
    emit(result, opts, (s) =>
      [
        `New credentials for server ${s.name} (${s.id}) written to ${s.credentialsFile} (mode 0600).`,
        "The previous credentials file no longer works: give this one to the server's Connect node.",
      ].join('\n'),
    );
  });

  remote(server.command('list').description('list Connect servers')).action(async (opts: RemoteOptions) => {
    const servers = await clientFor(opts).request<Server[]>('GET', 'servers');
    emit(servers, opts, (list) =>
      table(
        ['ID', 'NAME', 'VAULTS', 'CREATED'],
        list.map((s) => [s.id, s.name, s.vaults.join(',') || '-', s.createdAt]),
      ),
    );
  });

  remote(
    server.command('get <server>').description('show one Connect server and the vaults it may access'),
  ).action(async (query: string, opts: RemoteOptions) => {
    const found = await resolveServer(clientFor(opts), query);
    emit(found as Server, opts, describeServer);
  });

  remote(
    server
      .command('update <server>')
      .description(
        'change the vaults a Connect server may access; tokens lose access to a removed vault at their next request',
      )
      .option('--add-vault <vault>', 'give the server access to this vault (name or id), repeatable', collect)
      .option(
        '--remove-vault <vault>',
        'take this vault (name or id) away from the server, repeatable',
        collect,
      ),
  ).action(async (query: string, opts: RemoteOptions & { addVault?: string[]; removeVault?: string[] }) => {
    if ((opts.addVault ?? []).length === 0 && (opts.removeVault ?? []).length === 0) {
      throw new CliError('nothing to change: pass --add-vault and/or --remove-vault');
    }
    const client = clientFor(opts);
    const { id } = await resolveServer(client, query);
    const addVaults = await vaultIds(client, opts.addVault ?? []);
    const removeVaults = await vaultIds(client, opts.removeVault ?? []);
    const both = addVaults.find((v) => removeVaults.includes(v));
    if (both !== undefined) throw new CliError(`vault ${both} is both in --add-vault and --remove-vault`);
    const updated = await client.request<Server>('PATCH', apiPath('servers', id), {
      addVaults,
      removeVaults,
    });
    emit(updated, opts, (s) => `Server ${s.name} (${s.id}) updated\n${describeServer(s)}`);
  });

  remote(
    server
      .command('delete <server>')
      .description('delete a Connect server; its tokens stop working at their next request'),
  ).action(async (query: string, opts: RemoteOptions) => {
    const client = clientFor(opts);
    const { id, name } = await resolveServer(client, query);
    await client.request('DELETE', apiPath('servers', id));
    emit({ id, deleted: true }, opts, () => `Server ${name} (${id}) deleted`);
  });
}
