import type { Command } from 'commander';
import type { BackupReport } from '../../bootstrap/backup/report.js';
import { emit, table } from '../output.js';
import { configFrom } from '../settings.js';

/** The rows per table and what was verified: shared by backup and restore. */
export const renderVerified = (r: {
  tables: Record<string, number | undefined>;
  items: number;
  vaults: number;
  decryptedVaults: number;
}): string[] => [
  `Verified: SQLite's integrity check passes; the master key opens it; ${r.items} items in ${r.vaults} vaults, every vault key opens${r.decryptedVaults > 0 ? `, the latest item of each of the ${r.decryptedVaults} vaults with items decrypts` : ''}.`,
  table(
    ['table', 'rows'],
    Object.entries(r.tables).map(([name, rows]) => [name, rows ?? 0]),
  ),
];

const renderBackup = (r: BackupReport): string =>
  [
    `Backup written to ${r.file} (${r.bytes} bytes, schema ${r.schemaVersion}, ${r.method === 'sqlite-online-backup' ? "SQLite's online backup" : 'logical export'}).`,
    ...renderVerified(r),
    'The master key is not in the backup, and a restore needs it: keep it apart from the backup (see docs/backup.md).',
  ].join('\n');

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description(
      "write a consistent, verified backup of the database to a new file, safely while `keyhold serve` runs (SQLite's online backup: every write acknowledged before it started is in it); the master key is never in it. Copying the files of a running service is not a backup. See docs/backup.md",
    )
    .requiredOption(
      '--out <file>',
      'the backup file to write (refused if it exists; written as FILE.partial, mode 0600, renamed once verified)',
    )
    .option('--data-dir <dir>', 'data directory (env KEYHOLD_DATA_DIR, default ./data)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { out: string; dataDir?: string; json?: boolean }) => {
      const config = configFrom({ dataDir: opts.dataDir });
      // Loaded on demand: the server's modules would slow every other command.
      const { backupDataDir } = await import('../../bootstrap/backup/data-dir.js');
      emit(await backupDataDir(config, opts.out), opts, renderBackup);
    });
}
