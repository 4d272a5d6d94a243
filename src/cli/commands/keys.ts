import type { Command } from 'commander';
import { isId } from '../../crypto/ids.js';
import { SIGNING_KEY_KINDS, type SigningKeyKind } from '../../storage/ports/connect.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { clientFor, type RemoteOptions, remote } from './remote.js';

interface KeyView {
  kid: string;
  kind: SigningKeyKind;
  /** current: signs and verifies; previous: verifies what it signed; withdrawn: verifies nothing. */
  state: 'current' | 'previous' | 'withdrawn';
  createdAt: string;
  retiredAt: string | null;
  withdrawnAt: string | null;
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
      .description(
        'list the signing keys of both kinds, newest first (public halves only), with their state: current (signs), previous (still verifies what it signed), withdrawn (verifies nothing)',
      ),
  ).action(async (opts: RemoteOptions) => {
    const list = await clientFor(opts).request<{ keys: KeyView[] }>('GET', 'keys');
    emit(list, opts, (set) =>
      table(
        ['KID', 'KIND', 'STATE', 'CREATED', 'ALG', 'CURVE'],
        set.keys.map((k) => [
          k.kid,
          k.kind,
          k.state,
          k.createdAt,
          k.publicJwk.alg ?? '-',
          k.publicJwk.crv ?? '-',
        ]),
      ),
    );
  });

  remote(
    keys
      .command('withdraw')
      .argument('<kid>', 'the key id, as `keyhold keys list` shows it')
      .description(
        'withdraw a previous signing key for good (a leaked key): every token it signed stops working at once, everywhere; the current key of a kind must be rotated first',
      ),
  ).action(async (kid: string, opts: RemoteOptions) => {
    if (!isId(kid))
      throw new CliError(
        `${JSON.stringify(kid)} is not a key id: see the KID column of \`keyhold keys list\``,
      );
    const withdrawn = await clientFor(opts).request<KeyView>('POST', `keys/${kid}/withdraw`);
    emit(
      {
        kid: withdrawn.kid,
        kind: withdrawn.kind,
        state: withdrawn.state,
        withdrawnAt: withdrawn.withdrawnAt,
      },
      opts,
      (k) =>
        [
          `Signing key ${k.kid} (${k.kind}) withdrawn at ${k.withdrawnAt}.`,
          `Every ${WHAT_SIGNS[k.kind].replace(/s$/, '')} it signed is refused from now on, and it is gone from the JWKS.`,
        ].join('\n'),
    );
  });
}
