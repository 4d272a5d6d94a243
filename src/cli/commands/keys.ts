import type { Command } from 'commander';
import { SIGNING_KEY_KINDS, type SigningKeyKind } from '../../storage/ports/connect.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { clientFor, type RemoteOptions, remote } from './remote.js';

interface KeyView {
  kid: string;
  kind: SigningKeyKind;
  createdAt: string;
  retiredAt: string | null;
  oauthUntil: string | null;
  publicJwk: { kty: string; crv?: string; alg?: string };
}

const WHAT_SIGNS = { connect: 'Connect tokens', oauth: 'OAuth JWT access tokens' } as const;

function kindFlag(raw: string): SigningKeyKind {
  const kind = SIGNING_KEY_KINDS.find((k) => k === raw);
  if (!kind) throw new CliError(`--kind ${JSON.stringify(raw)}: must be ${SIGNING_KEY_KINDS.join(' or ')}`);
  return kind;
}

/**
 * `keyhold keys …`: the account's ES256 signing keys, one current key per kind of token —
 * `connect` signs Connect tokens, `oauth` the authorization server's JWT access tokens.
 */
export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description("manage the account's token-signing keys (one per kind: connect, oauth)");

  remote(
    keys
      .command('rotate')
      .description(
        'make a new signing key of one kind current; tokens signed by older keys keep verifying, and keys of the other kind are left alone',
      )
      .option('--kind <kind>', 'connect (Connect tokens) or oauth (OAuth JWT access tokens)', 'connect'),
  ).action(async (opts: RemoteOptions & { kind: string }) => {
    const kind = kindFlag(opts.kind);
    const created = await clientFor(opts).request<KeyView>('POST', 'keys/rotate', { kind });
    emit({ kid: created.kid, kind: created.kind, createdAt: created.createdAt }, opts, (k) =>
      [
        `Signing key ${k.kid} (${k.kind}) created at ${k.createdAt}; new ${WHAT_SIGNS[k.kind]} are signed with it.`,
        'Tokens signed by earlier keys keep working until they expire or are revoked.',
      ].join('\n'),
    );
  });

  remote(
    keys
      .command('list')
      .description('list the signing keys of both kinds, newest first (public halves only)'),
  ).action(async (opts: RemoteOptions) => {
    const list = await clientFor(opts).request<{ keys: KeyView[] }>('GET', 'keys');
    emit(list, opts, (set) =>
      table(
        ['KID', 'KIND', 'STATE', 'CREATED', 'ALG', 'CURVE'],
        set.keys.map((k) => [
          k.kid,
          k.kind,
          k.retiredAt === null ? 'current' : 'retired',
          k.createdAt,
          k.publicJwk.alg ?? '-',
          k.publicJwk.crv ?? '-',
        ]),
      ),
    );
  });
}
