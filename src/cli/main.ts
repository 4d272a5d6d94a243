#!/usr/bin/env node
import { VERSION } from '../version.js';

// Start-up time is most of a CLI command's time, so this file imports nothing it can avoid:
// `--version` is answered here without commander, and every other command line loads commander,
// the module of the command it runs and that command's own dependencies only when it runs
// (program.ts). The build bundles it as CommonJS (scripts/build-cli.mjs), so no top-level await.
// docs/performance.md has the figures; test/e2e/cli-start.test.ts keeps zod and the server out of
// `--version`, `--help` and a remote command.
const args = process.argv.slice(2);

if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // What commander prints for the program's --version, without loading it.
  process.stdout.write(`${VERSION}\n`);
} else {
  void main();
}

async function main(): Promise<void> {
  try {
    const { run } = await import('./program.js');
    await run(args);
  } catch (error) {
    process.exit(await report(error));
  }
}

/** Writes what went wrong as one line on standard error and answers the exit code. */
async function report(error: unknown): Promise<number> {
  const [{ CommanderError }, { isKeyholdError }, { ProcessError }, { CliError }, { paint }] =
    await Promise.all([
      import('commander'),
      import('../errors/keyhold-error.js'),
      import('../errors/process-error.js'),
      import('./errors.js'),
      import('./colour.js'),
    ]);
  // Commander already printed its message (or the help/version text).
  if (error instanceof CommanderError) return error.exitCode;
  // Start-up and command errors are written for whoever ran the command; another error of ours
  // is shown when it may be (a 4xx from a service called in process); anything else is a bug.
  const known =
    error instanceof CliError || error instanceof ProcessError || (isKeyholdError(error) && error.expose);
  const message = known
    ? (error as Error).message
    : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
  process.stderr.write(`${paint('red', 'keyhold:', process.stderr)} ${message}\n`);
  return error instanceof CliError ? error.exitCode : 1;
}
