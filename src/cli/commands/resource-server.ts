import type { Command } from 'commander';
import type { ResourceServerView } from '../../domain/oauth/resource-server-service.js';

type Scope = ResourceServerView['scopes'][number];

import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { resolveResourceServer } from '../resolve.js';
import { apiPath, clientFor, collect, integerFlag, type RemoteOptions, remote } from './remote.js';

/** Access-token lifetimes the server accepts, in seconds. */
const MIN_TTL = 60;
const MAX_TTL = 86_400;

/**
 * `--scope NAME=DESCRIPTION`: split at the first `=`, so the description may hold more. The name
 * itself is checked by the server, which says what a scope name may be.
 */
export function parseScopeSpec(flag: string, spec: string, exclusive: boolean): Scope {
  const at = spec.indexOf('=');
  const name = at === -1 ? '' : spec.slice(0, at).trim();
  const description = at === -1 ? '' : spec.slice(at + 1).trim();
  if (name === '' || description === '') {
    throw new CliError(
      `${flag} ${JSON.stringify(spec)}: expected NAME=DESCRIPTION, e.g. ${flag} 'billing:read=Read your invoices'`,
    );
  }
  return { name, description, exclusive };
}

const scopeText = (s: Scope) => `${s.name}${s.exclusive ? ' (exclusive)' : ''}`;

const describe = (s: ResourceServerView): string =>
  [
    `${s.name} (${s.id ?? 'built-in'})`,
    `  identifier: ${s.identifier}`,
    `  tokens:     ${s.tokenFormat === 'jwt' ? 'JWT (RFC 9068)' : 'opaque'}, valid ${s.accessTokenTtl} s`,
    '  scopes:',
    ...(s.scopes.length === 0
      ? ['    (none)']
      : s.scopes.map((x) => `    ${scopeText(x)}: ${x.description}`)),
  ].join('\n');

interface CreateOptions extends RemoteOptions {
  scope?: string[];
  exclusiveScope?: string[];
  name?: string;
  jwt?: boolean;
  ttl?: string;
}

/** `keyhold resource-server …`: the APIs the authorization server issues access tokens for. */
export function registerResourceServer(program: Command): void {
  const rs = program
    .command('resource-server')
    .description('manage the resource servers (APIs) of the OAuth catalog and the scopes they define');

  remote(
    rs
      .command('create <uri>')
      .description(
        'register a resource server with its identifier URI (the RFC 8707 resource indicator) and its scopes; ' +
          'prints its introspection secret once',
      )
      .option(
        '--scope <NAME=DESCRIPTION>',
        'a common scope (any client may be allowed it); the description is shown on the consent page; repeatable',
        collect,
      )
      .option(
        '--exclusive-scope <NAME=DESCRIPTION>',
        'an exclusive scope: only clients registered with it may request it; repeatable',
        collect,
      )
      .option('--name <name>', 'display name shown to users (default: the URI)')
      .option('--jwt', 'issue RFC 9068 JWT access tokens for it instead of opaque ones')
      .option('--ttl <seconds>', `access-token lifetime in seconds, ${MIN_TTL}-${MAX_TTL} (default 3600)`),
  ).action(async (uri: string, opts: CreateOptions) => {
    const scopes = [
      ...(opts.scope ?? []).map((s) => parseScopeSpec('--scope', s, false)),
      ...(opts.exclusiveScope ?? []).map((s) => parseScopeSpec('--exclusive-scope', s, true)),
    ];
    if (scopes.length === 0) {
      throw new CliError(
        'give the resource server at least one scope: --scope NAME=DESCRIPTION (or --exclusive-scope)',
      );
    }
    const body = {
      identifier: uri,
      scopes,
      ...(opts.name === undefined ? {} : { name: opts.name }),
      ...(opts.jwt ? { tokenFormat: 'jwt' } : {}),
      ...(opts.ttl === undefined ? {} : { accessTokenTtl: integerFlag('--ttl', opts.ttl, MIN_TTL, MAX_TTL) }),
    };
    const created = await clientFor(opts).request<ResourceServerView & { secret: string }>(
      'POST',
      'resource-servers',
      body,
    );
    emit(created, opts, (s) =>
      [
        `Resource server ${s.name} (${s.id}) registered`,
        describe(s),
        'Its introspection secret is shown only once; store it now (keyhold cannot show it again):',
        s.secret,
      ].join('\n'),
    );
  });

  remote(
    rs.command('list').description('list resource servers and their scopes, the built-in vault API first'),
  ).action(async (opts: RemoteOptions) => {
    const servers = await clientFor(opts).request<ResourceServerView[]>('GET', 'resource-servers');
    emit(servers, opts, (list) =>
      table(
        ['ID', 'IDENTIFIER', 'NAME', 'TOKENS', 'SCOPES'],
        list.map((s) => [
          s.id ?? '(built-in)',
          s.identifier,
          s.name,
          `${s.tokenFormat} ${s.accessTokenTtl}s`,
          s.scopes.map(scopeText).join(' ') || '-',
        ]),
      ),
    );
  });

  remote(
    rs
      .command('delete <resource-server>')
      .description(
        'delete a registered resource server and its scopes; refused while a client may still request one of them',
      ),
  ).action(async (query: string, opts: RemoteOptions) => {
    const client = clientFor(opts);
    const { id, identifier } = await resolveResourceServer(client, query);
    await client.request('DELETE', apiPath('resource-servers', id));
    emit({ id, deleted: true }, opts, () => `Resource server ${identifier} (${id}) deleted`);
  });
}
