#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { isKeyholdError } from '../errors/keyhold-error.js';
import { ProcessError } from '../errors/process-error.js';
import { VERSION } from '../version.js';
import { paint } from './colour.js';
import { registerBackup } from './commands/backup.js';
import { registerClient } from './commands/client.js';
import { registerConnect } from './commands/connect.js';
import { registerGrant } from './commands/grant.js';
import { registerInit } from './commands/init.js';
import { registerLogin } from './commands/login.js';
import { registerRecover } from './commands/recover.js';
import { registerRemoteCommands } from './commands/remote.js';
import { registerResourceServer } from './commands/resource-server.js';
import { registerRestore } from './commands/restore.js';
import { registerScopes } from './commands/scopes.js';
import { registerServe } from './commands/serve.js';
import { CliError } from './errors.js';
import { quietOnClosedPipe } from './output.js';

const program = new Command('keyhold')
  .description(
    'Keyhold: self-hosted secrets service (Connect-compatible servers, OAuth 2.0 authorization server)',
  )
  .version(VERSION)
  // The program's own options (--version) stand before the command only, so a command may have a
  // --version of its own (`item restore … --version N`).
  .enablePositionalOptions()
  .exitOverride()
  .showHelpAfterError(false);

registerInit(program);
registerServe(program);
registerRecover(program);
registerBackup(program);
registerRestore(program);
registerConnect(program);
registerLogin(program);
registerRemoteCommands(program);
// The OAuth authorization server's registry, in the order it is filled: catalog, clients, grants.
registerResourceServer(program);
registerClient(program);
registerScopes(program);
registerGrant(program);

quietOnClosedPipe();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help/version text).
    process.exit(error.exitCode);
  }
  // Start-up and command errors are written for whoever ran the command; another error of ours
  // is shown when it may be (a 4xx from a service called in process); anything else is a bug.
  const known = error instanceof ProcessError || (isKeyholdError(error) && error.expose);
  const message = known
    ? (error as Error).message
    : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
  process.stderr.write(`${paint('red', 'keyhold:', process.stderr)} ${message}\n`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
