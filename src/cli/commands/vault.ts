import type { Command } from 'commander';
import { emit, table } from '../output.js';
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
  const vault = program.command('vault').description("manage the vaults of the caller's account");

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

  remote(vault.command('get <id>').description('show one vault')).action(
    async (id: string, opts: RemoteOptions) => {
      const found = await clientFor(opts).request<Vault>('GET', apiPath('vaults', id));
      emit(found, opts, describeVault);
    },
  );

  remote(vault.command('delete <id>').description('delete a vault and every item and file in it')).action(
    async (id: string, opts: RemoteOptions) => {
      await clientFor(opts).request('DELETE', apiPath('vaults', id));
      emit({ id, deleted: true }, opts, () => `Vault ${id} deleted`);
    },
  );
}
