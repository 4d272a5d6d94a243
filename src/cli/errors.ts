import { ProcessError } from '../errors/process-error.js';

/** A failure the CLI reports as one line on standard error, exiting with `exitCode`. */
export class CliError extends ProcessError {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super('command_failed', message);
  }
}
