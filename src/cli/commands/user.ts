import type { Command } from 'commander';
import { VAULT_PERMISSIONS } from '../../domain/access/permissions.js';
import { USER_ROLES } from '../../domain/access/roles.js';
import type { AdminClient } from '../client.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { resolveUser, resolveVault } from '../resolve.js';
import { SecretInput, valueOrFile } from '../secret-input.js';
import { registerUserMfa } from './mfa.js';
import { apiPath, clientFor, type RemoteOptions, remote } from './remote.js';

interface User {
  id: string;
  email: string;
  name: string | null;
  role: string;
  enabled: boolean;
  createdAt: string;
}

/** `ROLE` as typed: checked here so a typo names the allowed roles before any request. */
function parseRole(flag: string, role: string): string {
  if (!(USER_ROLES as readonly string[]).includes(role)) {
    throw new CliError(`${flag} ${JSON.stringify(role)} is not a role; allowed: ${USER_ROLES.join(', ')}`);
  }
  return role;
}

/** A user by email or id (resolve.ts). */
const userByEmail = (client: AdminClient, query: string): Promise<User> =>
  resolveUser(client, query) as Promise<User>;

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
  const user = program.command('user').description("manage the users of the caller's account");

  remote(
    user
      .command('create <email>')
      .description('create a user; without --password the server generates one and prints it once')
      .option('--role <role>', `one of ${USER_ROLES.join(', ')}`, 'member')
      .option(
        '--name <name>',
        'the person’s display name (1 to 200 characters; the OpenID Connect name claim)',
      )
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
      opts: RemoteOptions & { role: string; name?: string; password?: string; passwordFile?: string },
    ) => {
      parseRole('--role', opts.role);
      const password = await valueOrFile(new SecretInput(), '--password', opts.password, opts.passwordFile);
      const body = {
        email,
        role: opts.role,
        ...(opts.name === undefined ? {} : { name: opts.name }),
        ...(password === undefined ? {} : { password }),
      };
      const created = await clientFor(opts).request<User & { password?: string }>('POST', 'users', body);
      emit(created, opts, (u) =>
        [
          `User ${u.email} (${u.id}) created with role ${u.role}${u.name === null ? '' : `, named ${u.name}`}`,
          ...(u.password ? [`  password: ${u.password}`, 'The password is shown once. Store it now.'] : []),
        ].join('\n'),
      );
    },
  );

  remote(user.command('list').description('list users')).action(async (opts: RemoteOptions) => {
    const users = await clientFor(opts).request<User[]>('GET', 'users');
    emit(users, opts, (list) =>
      table(
        ['ID', 'EMAIL', 'NAME', 'ROLE', 'STATE', 'CREATED'],
        list.map((u) => [
          u.id,
          u.email,
          u.name ?? '',
          u.role,
          u.enabled ? 'enabled' : 'disabled',
          u.createdAt,
        ]),
      ),
    );
  });

  remote(
    user
      .command('grant <email>')
      .description("set a user's permissions on a vault (replaces what they had there)")
      .requiredOption('--vault <vault>', 'the vault (name or id)')
      .requiredOption('--permissions <list>', `comma-separated, any of ${VAULT_PERMISSIONS.join(', ')}`),
  ).action(async (email: string, opts: RemoteOptions & { vault: string; permissions: string }) => {
    const permissions = parsePermissions(opts.permissions);
    const client = clientFor(opts);
    const found = await userByEmail(client, email);
    type Grant = { userId: string; vaultId: string; permissions: string[] };
    const vault = await resolveVault(client, opts.vault);
    const grant = await client.request<Grant>('PUT', apiPath('users', found.id, 'vaults', vault.id), {
      permissions,
    });
    emit(
      grant,
      opts,
      (g) => `${found.email} now has ${g.permissions.join(', ')} on vault ${vault.name} (${g.vaultId})`,
    );
  });

  remote(
    user
      .command('revoke <email>')
      .description("remove a user's access to a vault (every permission they had there)")
      .requiredOption('--vault <vault>', 'the vault (name or id)'),
  ).action(async (email: string, opts: RemoteOptions & { vault: string }) => {
    const client = clientFor(opts);
    const found = await userByEmail(client, email);
    const vault = await resolveVault(client, opts.vault);
    await client.request('DELETE', apiPath('users', found.id, 'vaults', vault.id));
    emit({ userId: found.id, vaultId: vault.id, revoked: true }, opts, () => {
      return `${found.email} no longer has access to vault ${vault.name} (${vault.id})`;
    });
  });

  remote(
    user
      .command('set-role <email> <role>')
      .description(
        `give a user another role (${USER_ROLES.join(', ')}); the last enabled owner cannot be demoted`,
      ),
  ).action(async (email: string, role: string, opts: RemoteOptions) => {
    parseRole('ROLE', role);
    const client = clientFor(opts);
    const found = await userByEmail(client, email);
    const updated = await client.request<User>('PUT', apiPath('users', found.id, 'role'), { role });
    emit(updated, opts, (u) => `${u.email} now has role ${u.role}`);
  });

  remote(
    user
      .command('set-name <email> [name]')
      .description(
        "give a user a display name (1 to 200 characters; the OpenID Connect name claim), or remove it with --clear (needs what set-role needs; anyone may rename themselves on the console's Account page)",
      )
      .option('--clear', 'remove the name instead of setting one'),
  ).action(async (email: string, name: string | undefined, opts: RemoteOptions & { clear?: boolean }) => {
    if (opts.clear && name !== undefined) throw new CliError('give a NAME or --clear, not both');
    if (!opts.clear && name === undefined) throw new CliError('give a NAME, or --clear to remove the name');
    const client = clientFor(opts);
    const found = await userByEmail(client, email);
    const updated = await client.request<User>('PUT', apiPath('users', found.id, 'name'), {
      name: opts.clear ? null : name,
    });
    emit(updated, opts, (u) =>
      u.name === null ? `${u.email} has no name` : `${u.email} is now named ${u.name}`,
    );
  });

  remote(
    user
      .command('disable <email>')
      .description(
        'disable a user: their sign-in is refused and their sessions, grants and tokens end at once (the last enabled owner cannot be disabled)',
      ),
  ).action(async (email: string, opts: RemoteOptions) => {
    const client = clientFor(opts);
    const found = await userByEmail(client, email);
    const updated = await client.request<User>('POST', apiPath('users', found.id, 'disable'));
    emit(updated, opts, (u) => `${u.email} is disabled`);
  });

  remote(
    user
      .command('enable <email>')
      .description('enable a disabled user again (they sign in anew; old sessions and grants stay gone)'),
  ).action(async (email: string, opts: RemoteOptions) => {
    const client = clientFor(opts);
    const found = await userByEmail(client, email);
    const updated = await client.request<User>('POST', apiPath('users', found.id, 'enable'));
    emit(updated, opts, (u) => `${u.email} is enabled`);
  });

  remote(
    user
      .command('delete <email>')
      .description(
        'delete a user with their sessions, grants, tokens and vault access (the audit trail keeps their id; the last enabled owner cannot be deleted)',
      ),
  ).action(async (email: string, opts: RemoteOptions) => {
    const client = clientFor(opts);
    const found = await userByEmail(client, email);
    await client.request('DELETE', apiPath('users', found.id));
    emit({ id: found.id, email: found.email, deleted: true }, opts, () => `User ${found.email} deleted`);
  });

  remote(
    user
      .command('reset-password <email>')
      .description(
        'print a one-time link (valid 1 hour) where the user sets a new password; it replaces any older link, and using it signs the user out everywhere',
      ),
  ).action(async (email: string, opts: RemoteOptions) => {
    const client = clientFor(opts);
    const found = await userByEmail(client, email);
    type Link = { userId: string; url: string; expiresAt: string };
    const link = await client.request<Link>('POST', apiPath('users', found.id, 'password-reset'));
    emit(link, opts, (l) =>
      [
        `Password reset link for ${found.email} (valid until ${l.expiresAt}, works once):`,
        `  ${l.url}`,
        'The link is shown once. Hand it to the user over a channel you trust.',
      ].join('\n'),
    );
  });
  registerUserMfa(user);
}
