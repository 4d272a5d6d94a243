import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { fullProgram } from '../../src/cli/program.js';

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
  read: 'prints the one value a reference points at, raw, for a program to read',
  run: "hands standard output to the command it runs: what is printed is that command's",
  inject: 'prints the rendered template, which is whatever format the template is',
  completion: 'prints a script for the shell to load',
};

describe('--json on every command', () => {
  let all: [string, Command][];
  beforeAll(async () => {
    all = leaves(await fullProgram());
  });

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
