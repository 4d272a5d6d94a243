import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ClientView } from '../../domain/oauth/client-service.js';
import { CLIENT_AUTH_METHODS, GRANT_TYPES } from '../../storage/ports/oauth.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { resolveClient } from '../resolve.js';
import { apiPath, clientFor, collect, type RemoteOptions, remote } from './remote.js';

/** One of `allowed`, checked here so a typo names the allowed values before any request. */
function oneOf(flag: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) {
    throw new CliError(`${flag} ${JSON.stringify(value)} is not allowed; use one of ${allowed.join(', ')}`);
  }
  return value;
}

/**
 * The JWK Set in `file`, parsed. The server checks the keys (public EC P-256 or RSA only); its
 * content is never echoed, in case it holds a private key by mistake.
 */
function readJwks(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`--jwks ${file} is not JSON: give a JWK Set of public keys, {"keys": [...]}`);
  }
}

const describe = (c: ClientView): string =>
  [
    `${c.name} (${c.clientId})`,
    `  auth method:   ${c.authMethod}${c.authMethod === 'none' ? ' (public client, PKCE)' : ''}`,
    `  grant types:   ${c.grantTypes.join(', ')}`,
    `  redirect URIs: ${c.redirectUris.length > 0 ? c.redirectUris.join(' ') : '(none)'}`,
    `  scopes:        ${c.scopes.length > 0 ? c.scopes.join(' ') : '(none: every common scope)'}`,
    ...(c.dpopBoundAccessTokens ? ['  DPoP:          required (every token request needs a proof)'] : []),
    ...(c.requirePushedAuthorizationRequests
      ? ['  PAR:           required (authorization requests through the PAR endpoint only)']
      : []),
    ...(c.fapi2SecurityProfile ? ['  profile:       FAPI 2.0 Security Profile'] : []),
    `  created:       ${c.createdAt}`,
  ].join('\n');

interface CreateOptions extends RemoteOptions {
  redirectUri?: string[];
  scope: string[];
  public?: boolean;
  grantType?: string[];
  authMethod?: string;
  jwks?: string;
  dpopBoundAccessTokens?: boolean;
  requirePar?: boolean;
  fapi2?: boolean;
}

interface UpdateOptions extends RemoteOptions {
  name?: string;
  redirectUri?: string[];
  scope?: string[];
  grantType?: string[];
  jwks?: string;
  dpopBoundAccessTokens?: boolean;
  requirePar?: boolean;
  fapi2?: boolean;
}

/** `keyhold client …`: the applications (OAuth clients) that may ask users for access. */
export function registerClient(program: Command): void {
  const client = program
    .command('client')
    .description('manage OAuth clients: the applications that may ask for access tokens');

  remote(
    client
      .command('create <name>')
      .description(
        'register a client; every scope must be in the catalog (a near-miss is named). ' +
          'A confidential client secret is printed once',
      )
      .option(
        '--redirect-uri <uri>',
        'exact redirect URI (https; http only on 127.0.0.1 or [::1]; or a private-use scheme such as com.example.app:/cb); needed for authorization_code; repeatable',
        collect,
      )
      .requiredOption(
        '--scope <scope>',
        'a scope the client may request (exact, case-sensitive); repeatable',
        collect,
      )
      .option('--public', 'a public client (native or browser app): no secret, PKCE only (auth method none)')
      .option(
        '--grant-type <type>',
        `${GRANT_TYPES.join(', ')}; repeatable (default: authorization_code and refresh_token with a redirect URI, else client_credentials)`,
        collect,
      )
      .option(
        '--auth-method <method>',
        `${CLIENT_AUTH_METHODS.join(', ')} (default: none for --public, private_key_jwt with --jwks, else client_secret_basic)`,
      )
      .option('--jwks <file>', 'JSON file with the public JWK Set of a private_key_jwt client')
      .option(
        '--dpop-bound-access-tokens',
        'require DPoP (RFC 9449) at every token request: tokens bound to the key of the client’s proof',
      )
      .option(
        '--require-par',
        'take this client’s authorization requests only through the PAR endpoint (RFC 9126 require_pushed_authorization_requests)',
      )
      .option(
        '--fapi2',
        'hold the client to the FAPI 2.0 Security Profile: confidential, private_key_jwt (give --jwks), PAR and DPoP required',
      ),
  ).action(async (name: string, opts: CreateOptions) => {
    const grantTypes = opts.grantType?.map((g) => oneOf('--grant-type', g, GRANT_TYPES));
    const authMethod =
      opts.authMethod === undefined
        ? undefined
        : oneOf('--auth-method', opts.authMethod, CLIENT_AUTH_METHODS);
    const body = {
      name,
      redirectUris: opts.redirectUri ?? [],
      scopes: opts.scope,
      public: opts.public === true,
      ...(grantTypes === undefined ? {} : { grantTypes }),
      ...(authMethod === undefined ? {} : { authMethod }),
      ...(opts.jwks === undefined ? {} : { jwks: readJwks(opts.jwks) }),
      ...(opts.dpopBoundAccessTokens ? { dpopBoundAccessTokens: true } : {}),
      ...(opts.requirePar ? { requirePushedAuthorizationRequests: true } : {}),
      ...(opts.fapi2 ? { fapi2SecurityProfile: true } : {}),
    };
    const created = await clientFor(opts).request<ClientView & { clientSecret?: string }>(
      'POST',
      'clients',
      body,
    );
    emit(created, opts, (c) =>
      [
        `Client ${c.name} registered`,
        describe(c),
        ...(c.clientSecret === undefined
          ? []
          : [
              'The client secret is shown only once; store it now (keyhold cannot show it again):',
              c.clientSecret,
            ]),
      ].join('\n'),
    );
  });

  remote(client.command('list').description('list clients (never their secrets)')).action(
    async (opts: RemoteOptions) => {
      const clients = await clientFor(opts).request<ClientView[]>('GET', 'clients');
      emit(clients, opts, (list) =>
        table(
          ['CLIENT ID', 'NAME', 'AUTH', 'GRANT TYPES', 'SCOPES'],
          list.map((c) => [
            c.clientId,
            c.name,
            c.authMethod,
            c.grantTypes.join(','),
            c.scopes.join(' ') || '-',
          ]),
        ),
      );
    },
  );

  remote(
    client.command('get <client>').description('show one client (by name or client_id; never its secret)'),
  ).action(async (query: string, opts: RemoteOptions) => {
    const found = (await resolveClient(clientFor(opts), query)) as ClientView;
    emit(found, opts, describe);
  });

  remote(
    client
      .command('update <client>')
      .description(
        'change a client (by name or client_id). Lists given replace the registered ones; scopes ' +
          "it loses leave its users' grants and tokens at once, and end its client-credentials tokens",
      )
      .option('--name <name>', 'a new name, shown on the consent page')
      .option('--redirect-uri <uri>', 'the redirect URIs from now on (replaces them); repeatable', collect)
      .option('--scope <scope>', 'the scopes it may request from now on (replaces them); repeatable', collect)
      .option(
        '--grant-type <type>',
        `the grant types from now on: ${GRANT_TYPES.join(', ')}; repeatable`,
        collect,
      )
      .option('--jwks <file>', 'new public JWK Set of a private_key_jwt client (key rotation)')
      .option('--dpop-bound-access-tokens', 'require DPoP at every token request')
      .option('--no-dpop-bound-access-tokens', 'stop requiring DPoP')
      .option('--require-par', 'take authorization requests only through the PAR endpoint')
      .option('--no-require-par', 'take plain authorization requests again')
      .option('--fapi2', 'hold the client to the FAPI 2.0 Security Profile')
      .option('--no-fapi2', 'release it from the profile (PAR and DPoP stay required until turned off)'),
  ).action(async (query: string, opts: UpdateOptions) => {
    const grantTypes = opts.grantType?.map((g) => oneOf('--grant-type', g, GRANT_TYPES));
    const body = {
      ...(opts.name === undefined ? {} : { name: opts.name }),
      ...(opts.redirectUri === undefined ? {} : { redirectUris: opts.redirectUri }),
      ...(opts.scope === undefined ? {} : { scopes: opts.scope }),
      ...(grantTypes === undefined ? {} : { grantTypes }),
      ...(opts.jwks === undefined ? {} : { jwks: readJwks(opts.jwks) }),
      ...(opts.dpopBoundAccessTokens === undefined
        ? {}
        : { dpopBoundAccessTokens: opts.dpopBoundAccessTokens }),
      ...(opts.requirePar === undefined ? {} : { requirePushedAuthorizationRequests: opts.requirePar }),
      ...(opts.fapi2 === undefined ? {} : { fapi2SecurityProfile: opts.fapi2 }),
    };
    if (Object.keys(body).length === 0) {
      throw new CliError('nothing to change: give at least one option (see keyhold client update --help)');
    }
    const api = clientFor(opts);
    const { clientId: id } = await resolveClient(api, query);
    const updated = await api.request<ClientView>('PATCH', apiPath('clients', id), body);
    emit(updated, opts, (c) => [`Client ${c.name} updated`, describe(c)].join('\n'));
  });

  remote(
    client
      .command('rotate-secret <client>')
      .description(
        'give a confidential client a new secret, printed once; the old one stops working at once',
      ),
  ).action(async (query: string, opts: RemoteOptions) => {
    const api = clientFor(opts);
    const { clientId: id } = await resolveClient(api, query);
    const rotated = await api.request<ClientView & { clientSecret: string }>(
      'POST',
      apiPath('clients', id, 'secret'),
    );
    emit(rotated, opts, (c) =>
      [
        `Client ${c.name} (${c.clientId}) has a new secret; the old one no longer works.`,
        'The client secret is shown only once; store it now (keyhold cannot show it again):',
        c.clientSecret,
      ].join('\n'),
    );
  });

  remote(
    client
      .command('delete <client>')
      .description(
        "delete a client (by name or client_id), with its users' grants and every token issued to it",
      ),
  ).action(async (query: string, opts: RemoteOptions) => {
    const api = clientFor(opts);
    const { clientId: id, name } = await resolveClient(api, query);
    await api.request('DELETE', apiPath('clients', id));
    emit({ clientId: id, deleted: true }, opts, () => `Client ${name} (${id}) deleted`);
  });
}
