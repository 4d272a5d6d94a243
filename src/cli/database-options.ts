import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFrom } from './settings.js';

/** Where the database is and which master key opens it: the flags every local command takes as `serve` does. */
export function databaseOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (env KEYHOLD_DATA_DIR, default ./data)')
    .option(
      '--database-url <url>',
      'PostgreSQL database instead of SQLite in the data directory (env KEYHOLD_DATABASE_URL)',
    )
    .option(
      '--master-key-file <file>',
      'master key file (env KEYHOLD_MASTER_KEY_FILE, default DATA_DIR/master.key; unused when KEYHOLD_MASTER_KEY is set)',
    );
}

export interface DatabaseFlags {
  dataDir?: string;
  databaseUrl?: string;
  masterKeyFile?: string;
}

/** The configuration those flags, and the environment, give. */
export const databaseConfig = (flags: DatabaseFlags): Promise<Config> =>
  configFrom({ dataDir: flags.dataDir, databaseUrl: flags.databaseUrl, masterKeyFile: flags.masterKeyFile });
