import type { Command } from 'commander';
import { VAULT_PERMISSIONS } from '../../domain/access/permissions.js';
import { USER_ROLES } from '../../domain/access/roles.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { SecretInput, valueOrFile } from '../secret-input.js';
import { registerUserMfa } from './mfa.js';
import { apiPath, clientFor, type RemoteOptions, remote } from './remote.js';

interface User {
  id: string;
  email: string;
  role: string;
  createdAt: string;
}

/** `--permissions read,write`: checked here so a typo names the allowed values before any request. */
export function parsePermissions(spec: string): string[] {
  const names = spec
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p !== '');
  const unknown = names.find((p) => !(VAULT_PERMISSIONS as readonly string[]).includes(p));
  if (unknown !== undefined || names.length === 0) {
    const got = unknown === undefined ? 'nothing' : JSON.stringify(unknown);
    throw new CliError(
      `--permissions: expected a comma-separated list of ${VAULT_PERMISSIONS.join(', ')}, got ${got}`,
    );
  }
  return [...new Set(names)];
}

/** `keyhold user …`: people who log in to the account (the OAuth side), and their vault access. */
export function registerUser(program: Command): void {
  const user = program.command('user').description("manage the users of the admin token's account");

  remote(
    user
      .command('create <email>')
      .description('create a user; without --password the server generates one and prints it once')
      .option('--role <role>', `one of ${USER_ROLES.join(', ')}`, 'member')
      .option(
        '--password <password>',
        'initial password, 12+ characters (visible in the process list, prefer --password-file)',
      )
      .option(
        '--password-file <path>',
        'read the initial password from this file, or from standard input when PATH is - (one trailing newline is dropped)',
      ),
  ).action(
    async (
      email: string,
      opts: RemoteOptions & { role: string; password?: string; passwordFile?: string },
    ) => {
      if (!(USER_ROLES as readonly string[]).includes(opts.role)) {
        throw new CliError(
          `--role ${JSON.stringify(opts.role)} is not a role; allowed: ${USER_ROLES.join(', ')}`,
        );
      }
      const password = await valueOrFile(new SecretInput(), '--password', opts.password, opts.passwordFile);
      const body = {
        email,
        role: opts.role,
        ...(password === undefined ? {} : { password }),
      };
      const created = await clientFor(opts).request<User & { password?: string }>('POST', 'users', body);
      emit(created, opts, (u) =>
        [
          `User ${u.email} (${u.id}) created with role ${u.role}`,
          ...(u.password ? [`  password: ${u.password}`, 'The password is shown once. Store it now.'] : []),
        ].join('\n'),
      );
    },
  );

  remote(user.command('list').description('list users')).action(async (opts: RemoteOptions) => {
    const users = await clientFor(opts).request<User[]>('GET', 'users');
    emit(users, opts, (list) =>
      table(
        ['ID', 'EMAIL', 'ROLE', 'CREATED'],
        list.map((u) => [u.id, u.email, u.role, u.createdAt]),
      ),
    );
  });

  remote(
    user
      .command('grant <email>')
      .description("set a user's permissions on a vault (replaces what they had there)")
      .requiredOption('--vault <id>', 'the vault')
      .requiredOption('--permissions <list>', `comma-separated, any of ${VAULT_PERMISSIONS.join(', ')}`),
  ).action(async (email: string, opts: RemoteOptions & { vault: string; permissions: string }) => {
    const permissions = parsePermissions(opts.permissions);
    const client = clientFor(opts);
    // The API addresses users by id; the email query answers 404 for an unknown address.
    const [found] = await client.request<User[]>('GET', 'users', undefined, { email });
    if (!found) throw new CliError(`user ${email} not found`);
    type Grant = { userId: string; vaultId: string; permissions: string[] };
    const grant = await client.request<Grant>('PUT', apiPath('users', found.id, 'vaults', opts.vault), {
      permissions,
    });
    emit(grant, opts, (g) => `${found.email} now has ${g.permissions.join(', ')} on vault ${g.vaultId}`);
  });

  registerUserMfa(user);
}
