import type { Command } from 'commander';
import type { GrantView } from '../../domain/oauth/grant-service.js';
import { emit, table } from '../output.js';
import { resolveUser } from '../resolve.js';
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
      .option('--user <user>', "only this user's grants (email or id)"),
  ).action(async (opts: RemoteOptions & { user?: string }) => {
    const client = clientFor(opts);
    const user = opts.user === undefined ? undefined : (await resolveUser(client, opts.user.trim())).id;
    const grants = await client.request<GrantView[]>('GET', 'grants', undefined, { userId: user });
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
