import type { Command } from 'commander';
import { CONNECT_PERMISSIONS, type ConnectPermission } from '../../domain/access/permissions.js';
import { MAX_TOKEN_LIFETIME, MIN_TOKEN_LIFETIME } from '../../domain/token-lifetime.js';
import { durationSeconds } from '../duration.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { resolveServer, resolveVault } from '../resolve.js';
import { apiPath, clientFor, collect, type RemoteOptions, remote } from './remote.js';

interface Grant {
  vaultId: string;
  permissions: ConnectPermission[];
}

interface TokenView {
  id: string;
  name: string;
  serverId: string;
  vaults: Grant[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/**
 * `--vault VAULT:PERMS` (VAULT a name or id, resolved later), PERMS a comma list of read and write (`V:read`, `V:read,write`).
 * The same vault given twice is merged by the server.
 */
export function parseGrant(spec: string): Grant {
  const usage = `--vault ${JSON.stringify(spec)}: expected VAULT:PERMS, VAULT a name or id and PERMS a comma list of ${CONNECT_PERMISSIONS.join(', ')} (e.g. --vault Production:read,write)`;
  // The first ':' ends the vault: a vault whose name holds one is given by its id.
  const colon = spec.indexOf(':');
  if (colon < 0) throw new CliError(usage);
  const vaultId = spec.slice(0, colon).trim();
  const perms = spec
    .slice(colon + 1)
    .split(',')
    .map((p) => p.trim().toLowerCase());
  if (vaultId === '') throw new CliError(usage);
  const unknown = perms.find((p) => !(CONNECT_PERMISSIONS as readonly string[]).includes(p));
  if (unknown !== undefined) {
    throw new CliError(
      unknown === ''
        ? usage
        : `--vault ${JSON.stringify(spec)}: unknown permission ${JSON.stringify(unknown)}; allowed: ${CONNECT_PERMISSIONS.join(', ')}`,
    );
  }
  return { vaultId, permissions: [...new Set(perms as ConnectPermission[])] };
}

/** `--expires-in 90d` (or 12h, 30m, 3600s) in seconds, from one minute to ten years. */
export function parseDuration(raw: string): number {
  const seconds = durationSeconds(raw);
  if (seconds === undefined) {
    throw new CliError(
      `--expires-in ${JSON.stringify(raw)}: expected a whole number and a unit s, m, h or d (e.g. 90d, 12h, 30m, 3600s)`,
    );
  }
  if (seconds < MIN_TOKEN_LIFETIME)
    throw new CliError(`--expires-in ${JSON.stringify(raw)}: must be at least 60s (1m)`);
  if (seconds > MAX_TOKEN_LIFETIME) {
    throw new CliError(
      `--expires-in ${JSON.stringify(raw)}: must be at most 10 years (${MAX_TOKEN_LIFETIME / 86_400}d)`,
    );
  }
  return seconds;
}

const grantText = (g: Grant) => `${g.vaultId}:${g.permissions.join(',')}`;

/** A listing never carries a token, even if a server were to send one. */
const withoutSecret = ({ token: _token, ...rest }: TokenView & { token?: unknown }): TokenView => rest;

interface CreateOptions extends RemoteOptions {
  server: string;
  vault: string[];
  expiresIn?: string;
}

/** `keyhold token …`: Connect tokens. Tokens are immutable: rotate by creating a new one and revoking the old. */
export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description(
      'issue, list and revoke Connect tokens (immutable: rotate = create new, move references, revoke old)',
    );

  remote(
    token
      .command('create <name>')
      .description(
        'issue a Connect token for a server; the token is printed once and cannot be retrieved again',
      )
      .requiredOption('--server <server>', 'the Connect server the token is valid on (name or id)')
      .requiredOption(
        '--vault <spec>',
        'grant VAULT:PERMS, VAULT a name or id (a name with ":" needs the id), PERMS a comma list of read and write (e.g. Production:read, V:read,write); repeatable',
        collect,
      )
      .option(
        '--expires-in <duration>',
        'lifetime: a number and s, m, h or d (e.g. 90d, 12h), 1m to 10 years; default never',
      ),
  ).action(async (name: string, opts: CreateOptions) => {
    const grants = opts.vault.map(parseGrant);
    const expiresIn = opts.expiresIn === undefined ? undefined : parseDuration(opts.expiresIn);
    const client = clientFor(opts);
    const server = await resolveServer(client, opts.server);
    const vaults: Grant[] = [];
    for (const g of grants) vaults.push({ ...g, vaultId: (await resolveVault(client, g.vaultId)).id });
    const created = await client.request<TokenView & { token: string }>(
      'POST',
      apiPath('servers', server.id, 'tokens'),
      { name, vaults, ...(expiresIn === undefined ? {} : { expiresIn }) },
    );
    emit(created, opts, (t) =>
      [
        `Token ${t.name} (${t.id}) created for server ${t.serverId}`,
        `  vaults:  ${t.vaults.map(grantText).join(' ')}`,
        `  expires: ${t.expiresAt ?? 'never'}`,
        'This token is shown only once; store it now (keyhold cannot show it again):',
        t.token,
      ].join('\n'),
    );
  });

  remote(
    token
      .command('list')
      .description("list a server's tokens (never the tokens themselves)")
      .requiredOption('--server <server>', 'the Connect server (name or id)'),
  ).action(async (opts: RemoteOptions & { server: string }) => {
    const client = clientFor(opts);
    const server = await resolveServer(client, opts.server);
    const tokens = (await client.request<TokenView[]>('GET', apiPath('servers', server.id, 'tokens'))).map(
      withoutSecret,
    );
    emit(tokens, opts, (list) =>
      table(
        ['ID', 'NAME', 'VAULTS', 'EXPIRES', 'REVOKED'],
        list.map((t) => [
          t.id,
          t.name,
          t.vaults.map(grantText).join(' '),
          t.expiresAt ?? 'never',
          t.revokedAt ?? 'no',
        ]),
      ),
    );
  });

  remote(
    token.command('revoke <id>').description('revoke a token; it stops working at its next request'),
  ).action(async (id: string, opts: RemoteOptions) => {
    await clientFor(opts).request('DELETE', apiPath('tokens', id));
    emit({ id, revoked: true }, opts, () => `Token ${id} revoked`);
  });
}
