import { KeyholdError } from './keyhold-error.js';

/**
 * Errors that stop start-up or a `keyhold` command. They never reach HTTP; the CLI prints their
 * message as one line and exits. docs/errors.md lists the codes (a test keeps the two equal).
 */
export const PROCESS_ERROR_CODES = {
  invalid_setting: 'A flag or environment variable has a value that is not allowed; the message names it.',
  master_key_invalid: 'The master key is missing, malformed, or does not open this data directory.',
  data_dir_in_use: 'Another running service (or Connect node) holds the data directory.',
  database_unavailable:
    'The database cannot be reached or read at start; the message says where (never with a password) and why.',
  database_too_new:
    'The database was migrated by a newer Keyhold: start that version (or a later one), or restore a backup made before the upgrade.',
  already_initialised:
    '`keyhold init` found a Keyhold database there already (another node may have just created it).',
  credentials_invalid:
    'A Connect server’s credentials file cannot be used, or the central service refuses it.',
  replica_foreign:
    'A Connect node’s data directory holds a replica it cannot use: made for another server or account, sealed with another credentials file’s key, or by another Keyhold; it is left as it is.',
  replica_unreadable:
    'A Connect node’s replica file cannot be read: damaged, truncated, not a replica, or a row altered so that it no longer opens under the replica key. Delete the data directory to make a new replica from the central service.',
  backup_invalid:
    'A backup file cannot be used: damaged, altered, not a Keyhold backup, or from a newer Keyhold; nothing was restored.',
  restore_target_not_empty: 'A restore was refused: the target already holds a Keyhold database.',
  command_failed: 'A command could not do what was asked; the message says why.',
} as const;
export type ProcessErrorCode = keyof typeof PROCESS_ERROR_CODES;

/**
 * A start-up or command-line failure. Its message is written for the operator who ran the
 * command, and the CLI prints it (it must still never hold a secret: a master key, a password).
 * Status 500 and not exposed: were one ever to reach an HTTP formatter, it would be the server's
 * fault, answered without detail.
 */
export class ProcessError extends KeyholdError<ProcessErrorCode> {
  constructor(code: ProcessErrorCode, message: string, options?: { cause?: unknown }) {
    super(500, code, message, options);
  }
}
