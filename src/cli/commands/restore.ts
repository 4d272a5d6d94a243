import type { Command } from 'commander';
import type { RestoreReport } from '../../bootstrap/backup/report.js';
import { emit } from '../output.js';
import { configFrom } from '../settings.js';
import { renderVerified } from './backup.js';

const renderRestore = (r: RestoreReport): string =>
  [
    `Restored ${r.file} into ${r.target} (backup schema ${r.schemaVersion}${r.restoredSchemaVersion === r.schemaVersion ? '' : `, migrated to ${r.restoredSchemaVersion}`}).`,
    ...renderVerified(r),
    'Start the service on it with the same master key.',
  ].join('\n');

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .argument('<file>', 'a backup written by `keyhold backup`')
    .description(
      'restore a backup into an empty data directory (no keyhold.db; refused while a service runs on it), with the master key the backup was made with (KEYHOLD_MASTER_KEY, or DATA_DIR/master.key put there first). The backup is verified before anything is put in place, and again after; a damaged, altered or newer backup is refused, an older one migrated. See docs/backup.md',
    )
    .option('--data-dir <dir>', 'data directory (env KEYHOLD_DATA_DIR, default ./data)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { dataDir?: string; json?: boolean }) => {
      const config = configFrom({ dataDir: opts.dataDir });
      const { restoreDataDir } = await import('../../bootstrap/backup/data-dir.js');
      emit(await restoreDataDir(config, file), opts, renderRestore);
    });
}
