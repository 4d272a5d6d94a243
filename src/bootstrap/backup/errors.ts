import { ProcessError } from '../../errors/process-error.js';

/** A backup file that cannot be used: damaged, altered, not a Keyhold backup, or too new. */
export class BackupError extends ProcessError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('backup_invalid', message, options);
  }
}

/** A restore whose target already holds a Keyhold database. */
export class RestoreTargetError extends ProcessError {
  constructor(message: string) {
    super('restore_target_not_empty', message);
  }
}
