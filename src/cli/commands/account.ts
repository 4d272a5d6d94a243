import type { Command } from 'commander';
import { emit, table } from '../output.js';
import { registerAccountPolicy } from './mfa.js';
import { apiPath, clientFor, type RemoteOptions, remote } from './remote.js';

interface Account {
  id: string;
  name: string;
  createdAt: string;
}

/** `keyhold account …`: managing accounts needs the operator token that `keyhold init` prints. */
export function registerAccount(program: Command): void {
  const account = program
    .command('account')
    .description(
      'manage accounts (needs an owner of the operator account: its owner token, or a signed-in owner)',
    );

  remote(
    account
      .command('create <name>')
      .description('create an account and print its first admin token (shown once)'),
  ).action(async (name: string, opts: RemoteOptions) => {
    const created = await clientFor(opts).request<Account & { adminToken: string }>('POST', 'accounts', {
      name,
    });
    emit(created, opts, (a) =>
      [
        `Account ${a.name} (${a.id}) created`,
        `  admin token: ${a.adminToken}`,
        'The token is shown once. Store it now.',
      ].join('\n'),
    );
  });

  remote(account.command('list').description('list all accounts')).action(async (opts: RemoteOptions) => {
    const accounts = await clientFor(opts).request<Account[]>('GET', 'accounts');
    emit(accounts, opts, (list) =>
      table(
        ['ID', 'NAME', 'CREATED'],
        list.map((a) => [a.id, a.name, a.createdAt]),
      ),
    );
  });

  remote(
    account
      .command('delete <id>')
      .description(
        "delete an account with all its vaults, items, users and tokens (not the token's own account)",
      ),
  ).action(async (id: string, opts: RemoteOptions) => {
    await clientFor(opts).request('DELETE', apiPath('accounts', id));
    emit({ id, deleted: true }, opts, () => `Account ${id} deleted`);
  });

  registerAccountPolicy(account);
}
