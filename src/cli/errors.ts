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

/** An answer of the admin API that is not a success: its HTTP status, for a caller that tells 404 apart. */
export class ApiError extends CliError {
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
  }
}
