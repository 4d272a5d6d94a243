import type { Command } from 'commander';
import { ID_PATTERN } from '../../crypto/ids.js';
import { type DatabaseFlags, databaseConfig, databaseOptions } from '../database-options.js';
import { CliError } from '../errors.js';
import { emit } from '../output.js';

export function registerRecover(program: Command): void {
  databaseOptions(
    program
      .command('recover')
      .description(
        'break-glass: on the host, with the master key, mint a new owner admin token for the operator account (or --account) after every owner token was lost or revoked; audited. On SQLite, stop `keyhold serve` on the data directory first',
      ),
  )
    .option('--account <id>', 'the account to recover (default: the operator account, the one `init` made)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: DatabaseFlags & { account?: string; json?: boolean }) => {
      if (opts.account !== undefined && !ID_PATTERN.test(opts.account))
        throw new CliError(
          `--account ${JSON.stringify(opts.account)}: not an account id (26 characters of a-z and 0-9)`,
        );
      const config = await databaseConfig(opts);
      // Loaded on demand: the server's modules would slow every other command.
      const { recoverAccess } = await import('../../bootstrap/recover.js');
      const recovered = await recoverAccess(
        config,
        opts.account === undefined ? {} : { accountId: opts.account },
      );
      emit(recovered, opts, (r) =>
        [
          `Owner admin token ${r.tokenId} minted for account ${r.accountName} (${r.accountId}); the audit trail records it (token id keyhold-recover).`,
          'This token is shown only once; store it now:',
          `  admin token: ${r.adminToken}`,
        ].join('\n'),
      );
    });
}
