import type { Command } from 'commander';
import { emit, table } from '../output.js';
import { clientFor, type RemoteOptions, remote } from './remote.js';

interface Jwk {
  kid: string;
  kty: string;
  crv?: string;
  alg?: string;
  use?: string;
}

/** `keyhold keys …`: the ES256 keys that sign the account's Connect tokens. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description("manage the keys that sign the account's Connect tokens");

  remote(
    keys
      .command('rotate')
      .description('make a new signing key current; tokens signed by older keys keep verifying'),
  ).action(async (opts: RemoteOptions) => {
    const created = await clientFor(opts).request<{ kid: string; createdAt: string }>('POST', 'keys/rotate');
    emit({ kid: created.kid, createdAt: created.createdAt }, opts, (k) =>
      [
        `Signing key ${k.kid} created at ${k.createdAt}; new tokens are signed with it.`,
        'Tokens signed by earlier keys keep working until they expire or are revoked.',
      ].join('\n'),
    );
  });

  remote(keys.command('list').description('list the public signing keys (the JWKS)')).action(
    async (opts: RemoteOptions) => {
      const jwks = await clientFor(opts).request<{ keys: Jwk[] }>('GET', 'keys');
      emit(jwks, opts, (set) =>
        table(
          ['KID', 'ALG', 'CURVE', 'USE'],
          set.keys.map((k) => [k.kid, k.alg ?? '-', k.crv ?? '-', k.use ?? '-']),
        ),
      );
    },
  );
}
