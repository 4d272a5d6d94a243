import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerBackup } from '../../src/cli/commands/backup.js';
import { registerClient } from '../../src/cli/commands/client.js';
import { registerConnect } from '../../src/cli/commands/connect.js';
import { registerGrant } from '../../src/cli/commands/grant.js';
import { registerInit } from '../../src/cli/commands/init.js';
import { registerLogin } from '../../src/cli/commands/login.js';
import { registerRecover } from '../../src/cli/commands/recover.js';
import { registerRemoteCommands } from '../../src/cli/commands/remote.js';
import { registerResourceServer } from '../../src/cli/commands/resource-server.js';
import { registerRestore } from '../../src/cli/commands/restore.js';
import { registerScopes } from '../../src/cli/commands/scopes.js';
import { registerServe } from '../../src/cli/commands/serve.js';

/**
 * Every command a script may call prints its result as JSON with `--json`. The tree is built the
 * way src/cli/main.ts builds it (keep the two lists of groups the same).
 */
function program(): Command {
  const root = new Command('keyhold');
  for (const register of [
    registerInit,
    registerServe,
    registerRecover,
    registerBackup,
    registerRestore,
    registerConnect,
    registerLogin,
    registerRemoteCommands,
    registerResourceServer,
    registerClient,
    registerScopes,
    registerGrant,
  ]) {
    register(root);
  }
  return root;
}

/** The leaves (commands without subcommands), by their full name. */
function leaves(command: Command, path: string[] = []): [string, Command][] {
  if (command.commands.length === 0) return [[path.join(' '), command]];
  return command.commands.flatMap((sub) => leaves(sub, [...path, sub.name()]));
}

/**
 * Commands without `--json`, each with why: they run until stopped (a server), hand the terminal
 * to another program, or print what another program reads.
 */
const EXCEPTIONS: Record<string, string> = {
  connect: 'runs a Connect server until stopped; its output is JSON log lines already',
};

describe('--json on every command', () => {
  const all = leaves(program());

  it('finds the command tree', () => {
    expect(all.length).toBeGreaterThan(40);
  });

  it('every leaf command has --json, or is an exception with a reason', () => {
    const missing = all
      .filter(([name, command]) => !(name in EXCEPTIONS) && !command.options.some((o) => o.long === '--json'))
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('every exception is still a command and still lacks --json', () => {
    const byName = new Map(all);
    for (const name of Object.keys(EXCEPTIONS)) {
      expect(byName.has(name), name).toBe(true);
      expect(byName.get(name)?.options.some((o) => o.long === '--json')).toBe(false);
    }
  });
});
