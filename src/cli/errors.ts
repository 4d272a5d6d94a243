/**
 * A failure the CLI reports as one line on standard error, exiting with `exitCode`: the CLI's own
 * `command_failed` (docs/errors.md). A plain Error, not a ProcessError: that class lives in an ES
 * module outside the bundle, and requiring one from CommonJS starts the ES module loader, which
 * every remote command would pay for at start-up (main.ts reports both kinds alike).
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code = 'command_failed';

  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
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
