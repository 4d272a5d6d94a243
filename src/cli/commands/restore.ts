import type { Command } from 'commander';
import type { RestoreReport } from '../../bootstrap/backup/report.js';
import { type DatabaseFlags, databaseConfig, databaseOptions } from '../database-options.js';
import { emit } from '../output.js';
import { renderVerified } from './backup.js';

const renderRestore = (r: RestoreReport): string =>
  [
    `Restored ${r.file} into ${r.target} (backup schema ${r.schemaVersion}${r.restoredSchemaVersion === r.schemaVersion ? '' : `, migrated to ${r.restoredSchemaVersion}`}).`,
    ...renderVerified(r),
    'Start the service on it with the same master key.',
  ].join('\n');

export function registerRestore(program: Command): void {
  databaseOptions(
    program
      .command('restore')
      .argument('<file>', 'a backup written by `keyhold backup`')
      .description(
        'restore a backup into an empty target: a data directory without keyhold.db (refused while a service holds it), or with --database-url a PostgreSQL database without Keyhold rows; with the master key the backup was made with (KEYHOLD_MASTER_KEY, or the key file put in place first). The backup is verified before anything is put in place, and again after; a damaged, altered or newer backup is refused with nothing restored, an older one migrated. See docs/backup.md',
      ),
  )
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: DatabaseFlags & { json?: boolean }) => {
      // Loaded on demand: the server's modules would slow every other command.
      const { restoreDatabase } = await import('../../bootstrap/backup/commands.js');
      emit(await restoreDatabase(await databaseConfig(opts), file), opts, renderRestore);
    });
}
