import type { Command } from 'commander';
import type { BackupReport } from '../../bootstrap/backup/report.js';
import { type DatabaseFlags, databaseConfig, databaseOptions } from '../database-options.js';
import { emit, table } from '../output.js';

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
  databaseOptions(
    program
      .command('backup')
      .description(
        'write a consistent, verified backup of the database to a new file while `keyhold serve` runs, stopping nobody: every write acknowledged before it started is in it (SQLite: the online backup API; PostgreSQL: an export from one snapshot, in the same SQLite format). The master key is never in it. Copying the files of a running service is not a backup. See docs/backup.md',
      )
      .requiredOption(
        '--out <file>',
        'the backup file to write (refused if it exists; written with mode 0600 in a new directory FILE.partial, named FILE once verified)',
      ),
  )
    .option('--json', 'print the result as JSON')
    .action(async (opts: DatabaseFlags & { out: string; json?: boolean }) => {
      // Loaded on demand: the server's modules would slow every other command.
      const { backupDatabase } = await import('../../bootstrap/backup/commands.js');
      emit(await backupDatabase(await databaseConfig(opts), opts.out), opts, renderBackup);
    });
}
