import { Command } from 'commander';
import { VERSION } from '../version.js';
import { quietOnClosedPipe } from './output.js';

/** A command module's entry point: it adds its command group to the program. */
type Register = (program: Command) => void;

/**
 * One command module and the top-level commands it registers, so that a run loads only the
 * module of the command it runs (and with it none of the others' code). `--help`, `help`, an
 * unknown command and `completion` load them all. The order is the order `--help` lists them.
 * A test registers each group alone and checks `names` against what it really adds.
 */
export interface CommandGroup {
  names: readonly string[];
  load(): Promise<Register>;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { names: ['init'], load: async () => (await import('./commands/init.js')).registerInit },
  { names: ['serve'], load: async () => (await import('./commands/serve.js')).registerServe },
  { names: ['recover'], load: async () => (await import('./commands/recover.js')).registerRecover },
  { names: ['backup'], load: async () => (await import('./commands/backup.js')).registerBackup },
  { names: ['restore'], load: async () => (await import('./commands/restore.js')).registerRestore },
  { names: ['connect'], load: async () => (await import('./commands/connect.js')).registerConnect },
  {
    names: ['login', 'logout', 'whoami'],
    load: async () => (await import('./commands/login.js')).registerLogin,
  },
  // Commands that talk to a running central service through the admin API.
  { names: ['account'], load: async () => (await import('./commands/account.js')).registerAccount },
  { names: ['vault'], load: async () => (await import('./commands/vault.js')).registerVault },
  { names: ['item'], load: async () => (await import('./commands/item.js')).registerItem },
  { names: ['user'], load: async () => (await import('./commands/user.js')).registerUser },
  { names: ['audit'], load: async () => (await import('./commands/audit.js')).registerAudit },
  { names: ['server'], load: async () => (await import('./commands/server.js')).registerServer },
  { names: ['token'], load: async () => (await import('./commands/token.js')).registerToken },
  { names: ['keys'], load: async () => (await import('./commands/keys.js')).registerKeys },
  {
    names: ['admin-token'],
    load: async () => (await import('./commands/admin-token.js')).registerAdminToken,
  },
  // Secrets where applications use them: secret references read, run with, and injected.
  { names: ['read'], load: async () => (await import('./commands/read.js')).registerRead },
  { names: ['run'], load: async () => (await import('./commands/run.js')).registerRun },
  { names: ['inject'], load: async () => (await import('./commands/inject.js')).registerInject },
  // The OAuth authorization server's registry, in the order it is filled: catalog, clients, grants.
  {
    names: ['resource-server'],
    load: async () => (await import('./commands/resource-server.js')).registerResourceServer,
  },
  { names: ['client'], load: async () => (await import('./commands/client.js')).registerClient },
  { names: ['scopes'], load: async () => (await import('./commands/scopes.js')).registerScopes },
  { names: ['grant'], load: async () => (await import('./commands/grant.js')).registerGrant },
  {
    names: ['completion'],
    load: async () => (await import('./commands/completion.js')).registerCompletion,
  },
];

/** The program with its own options and no commands yet. */
export function newProgram(): Command {
  return (
    new Command('keyhold')
      .description(
        'Keyhold: self-hosted secrets service (Connect-compatible servers, OAuth 2.0 authorization server)',
      )
      .version(VERSION)
      // The program's own options (--version) stand before the command only, so a command may have
      // a --version of its own (`item restore … --version N`).
      .enablePositionalOptions()
      .exitOverride()
      .showHelpAfterError(false)
  );
}

/**
 * The groups a command line needs: the one whose command it names, or every group when it names
 * none of them (`--help`, `help vault`, a misspelt command that commander answers with the
 * nearest names).
 */
export function groupsFor(
  args: readonly string[],
  groups: readonly CommandGroup[] = COMMAND_GROUPS,
): CommandGroup[] {
  const first = args[0];
  const named = groups.find((g) => first !== undefined && g.names.includes(first));
  return named ? [named] : [...groups];
}

/** Adds the groups' commands to `program`, in the order given (their modules load in parallel). */
export async function registerGroups(program: Command, groups: readonly CommandGroup[]): Promise<Command> {
  const registers = await Promise.all(groups.map((g) => g.load()));
  for (const register of registers) register(program);
  return program;
}

/** The whole program, every command registered: for completion scripts and tests. */
export const fullProgram = (): Promise<Command> => registerGroups(newProgram(), COMMAND_GROUPS);

/** Runs one command line (`args` without node and the script), loading only what it needs. */
export async function run(args: readonly string[]): Promise<void> {
  quietOnClosedPipe();
  const program = await registerGroups(newProgram(), groupsFor(args));
  await program.parseAsync([...args], { from: 'user' });
}
