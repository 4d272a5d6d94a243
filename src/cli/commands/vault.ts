import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { resolveVault } from '../resolve.js';
import { apiPath, clientFor, type RemoteOptions, remote } from './remote.js';

interface Vault {
  id: string;
  name: string;
  description: string;
  items: number;
  type: string;
  attributeVersion: number;
  contentVersion: number;
  createdAt: string;
  updatedAt: string;
}

const describeVault = (v: Vault): string =>
  [
    `${v.name} (${v.id})`,
    ...(v.description ? [`  description: ${v.description}`] : []),
    `  items:       ${v.items}`,
    `  type:        ${v.type}`,
    `  created:     ${v.createdAt}`,
    `  updated:     ${v.updatedAt}`,
  ].join('\n');

/** `keyhold vault …`: vaults of the caller's account. */
export function registerVault(program: Command): void {
  const vault = program
    .command('vault')
    .description("manage the vaults of the caller's account (a vault by name or id)");

  remote(
    vault
      .command('create <name>')
      .description('create a vault')
      .option('--description <text>', 'what the vault is for'),
  ).action(async (name: string, opts: RemoteOptions & { description?: string }) => {
    const body = { name, ...(opts.description === undefined ? {} : { description: opts.description }) };
    const created = await clientFor(opts).request<Vault>('POST', 'vaults', body);
    emit(created, opts, (v) => `Vault ${v.name} (${v.id}) created`);
  });

  remote(vault.command('list').description('list vaults')).action(async (opts: RemoteOptions) => {
    const vaults = await clientFor(opts).request<Vault[]>('GET', 'vaults');
    emit(vaults, opts, (list) =>
      table(
        ['ID', 'NAME', 'ITEMS', 'UPDATED'],
        list.map((v) => [v.id, v.name, v.items, v.updatedAt]),
      ),
    );
  });

  remote(vault.command('get <vault>').description('show one vault (by name or id)')).action(
    async (query: string, opts: RemoteOptions) => {
      const client = clientFor(opts);
      const { id } = await resolveVault(client, query);
      const found = await client.request<Vault>('GET', apiPath('vaults', id));
      emit(found, opts, describeVault);
    },
  );

  remote(
    vault
      .command('rename <vault> <new-name>')
      .description('give a vault a new name (Connect servers that reach it see the new name)'),
  ).action(async (query: string, name: string, opts: RemoteOptions) => {
    const client = clientFor(opts);
    const { id, name: was } = await resolveVault(client, query);
    const renamed = await client.request<Vault>('PATCH', apiPath('vaults', id), { name });
    emit(renamed, opts, (v) => `Vault ${was} (${v.id}) renamed to ${v.name}`);
  });

  remote(
    vault
      .command('delete <vault>')
      .description(
        'delete a vault with every item, version, file and its trash; a vault that still holds items needs --force',
      )
      .option('--force', 'delete the vault even though it holds items'),
  ).action(async (query: string, opts: RemoteOptions & { force?: boolean }) => {
    const client = clientFor(opts);
    const found = await resolveVault(client, query);
    if (found.items > 0 && !opts.force) {
      throw new CliError(
        `vault ${found.name} (${found.id}) holds ${found.items} item${found.items === 1 ? '' : 's'}; deleting it deletes them with their history and files: add --force to delete it anyway`,
      );
    }
    await client.request('DELETE', apiPath('vaults', found.id));
    emit(
      { id: found.id, name: found.name, deleted: true },
      opts,
      () => `Vault ${found.name} (${found.id}) deleted`,
    );
  });
}
