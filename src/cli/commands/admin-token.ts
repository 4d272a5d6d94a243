import type { Command } from 'commander';
import {
  ADMIN_TOKEN_ROLES,
  type AdminTokenRole,
  DEFAULT_ADMIN_TOKEN_ROLE,
} from '../../domain/access/roles.js';
import type { AdminTokenView } from '../../domain/admin-tokens/admin-token-service.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { apiPath, clientFor, type RemoteOptions, remote } from './remote.js';
import { parseDuration } from './token.js';

function parseRole(raw: string): AdminTokenRole {
  const role = raw.trim().toLowerCase();
  if (!(ADMIN_TOKEN_ROLES as readonly string[]).includes(role))
    throw new CliError(`--role ${JSON.stringify(raw)}: expected one of ${ADMIN_TOKEN_ROLES.join(', ')}`);
  return role as AdminTokenRole;
}

/** A listing never carries a secret, even if a server were to send one. */
const withoutSecret = ({ token: _token, ...rest }: AdminTokenView & { token?: unknown }): AdminTokenView =>
  rest;

/** `keyhold admin-token …`: the admin API's own tokens, each with a role (docs/roles.md). */
export function registerAdminToken(program: Command): void {
  const group = program
    .command('admin-token')
    .description('create, list and revoke admin API tokens (each has a role; see docs/roles.md)');

  remote(
    group
      .command('create <name>')
      .description(
        'create an admin API token; it is printed once. A token cannot create one with more power than its own, nor one that outlives it',
      )
      .option('--role <role>', ADMIN_TOKEN_ROLES.join(', '), DEFAULT_ADMIN_TOKEN_ROLE)
      .option(
        '--expires-in <duration>',
        'lifetime: a number and s, m, h or d (e.g. 90d, 12h, 30m), 1m to 10 years; default never',
      ),
  ).action(async (name: string, opts: RemoteOptions & { role: string; expiresIn?: string }) => {
    const role = parseRole(opts.role);
    const expiresIn = opts.expiresIn === undefined ? undefined : parseDuration(opts.expiresIn);
    const created = await clientFor(opts).request<AdminTokenView & { token: string }>(
      'POST',
      'admin-tokens',
      {
        name,
        role,
        ...(expiresIn === undefined ? {} : { expiresIn }),
      },
    );
    emit(created, opts, (t) =>
      [
        `Admin token ${t.name} (${t.id}) created`,
        `  role:    ${t.role}`,
        `  expires: ${t.expiresAt ?? 'never'}`,
        'This token is shown only once; store it now (keyhold cannot show it again):',
        t.token,
      ].join('\n'),
    );
  });

  remote(
    group
      .command('list')
      .description('list the account’s admin tokens, revoked and expired ones too (never a secret)'),
  ).action(async (opts: RemoteOptions) => {
    const tokens = (await clientFor(opts).request<AdminTokenView[]>('GET', 'admin-tokens')).map(
      withoutSecret,
    );
    emit(tokens, opts, (list) =>
      table(
        ['ID', 'NAME', 'ROLE', 'STATUS', 'CREATED', 'EXPIRES', 'REVOKED'],
        list.map((t) => [
          t.id,
          t.name,
          t.role,
          t.status,
          t.createdAt,
          t.expiresAt ?? 'never',
          t.revokedAt ?? '-',
        ]),
      ),
    );
  });

  remote(
    group
      .command('revoke <id>')
      .description(
        'revoke an admin token; it stops working at its next request (the row is kept and listed)',
      ),
  ).action(async (id: string, opts: RemoteOptions) => {
    await clientFor(opts).request('DELETE', apiPath('admin-tokens', id));
    emit({ id, revoked: true }, opts, () => `Admin token ${id} revoked`);
  });
}
