import type { Config } from '../config/schema.js';
import type { Backend } from './backend.js';
import { postgresBackend } from './postgres/backend.js';
import { sqliteBackend } from './sqlite/backend.js';

/** PostgreSQL when a database URL is configured; otherwise the SQLite database in the data directory. */
export function chooseBackend(config: Pick<Config, 'dataDir' | 'databaseUrl' | 'databasePoolSize'>): Backend {
  return config.databaseUrl === undefined
    ? sqliteBackend(config.dataDir)
    : postgresBackend(config.databaseUrl, { poolSize: config.databasePoolSize });
}
