import type { Command } from 'commander';
import { ID_PATTERN } from '../../crypto/ids.js';
import type { GrantView } from '../../domain/oauth/grant-service.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { apiPath, clientFor, type RemoteOptions, remote } from './remote.js';

/** `keyhold grant …`: what users have approved for OAuth clients. */
export function registerGrant(program: Command): void {
  const grant = program
    .command('grant')
    .description("list and revoke users' OAuth grants (what a user approved for a client)");

  remote(
    grant
      .command('list')
      .description("list the account's grants: user, client, resource server and approved scopes")
      .option('--user <id>', "only this user's grants"),
  ).action(async (opts: RemoteOptions & { user?: string }) => {
    const user = opts.user?.trim();
    if (user !== undefined && !ID_PATTERN.test(user)) {
      throw new CliError(
        `--user ${JSON.stringify(opts.user)} is not a user id (26 characters of a-z and 0-9)`,
      );
    }
    const grants = await clientFor(opts).request<GrantView[]>('GET', 'grants', undefined, { userId: user });
    emit(grants, opts, (list) =>
      table(
        ['ID', 'USER', 'CLIENT', 'RESOURCE', 'SCOPES', 'UPDATED'],
        list.map((g) => [
          g.id,
          g.userId,
          `${g.clientName} (${g.clientId})`,
          g.resource,
          g.scopes.join(' '),
          g.updatedAt,
        ]),
      ),
    );
  });

  remote(
    grant
      .command('revoke <id>')
      .description(
        'revoke a grant: its refresh and access tokens are deleted, so introspection and the vault API refuse ' +
          'them at once (a JWT access token a resource server checks offline lasts until it expires)',
      ),
  ).action(async (id: string, opts: RemoteOptions) => {
    await clientFor(opts).request('DELETE', apiPath('grants', id));
    emit({ id, revoked: true }, opts, () => `Grant ${id} revoked; its refresh and access tokens are deleted`);
  });
}
