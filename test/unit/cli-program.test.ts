import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_GROUPS, fullProgram, groupsFor, newProgram, registerGroups } from '../../src/cli/program.js';

/**
 * The CLI registers only the command group a command line names (src/cli/program.ts). That is
 * right only while each group's `names` are exactly the top-level commands its module adds: a
 * name missing from the table would still work (an unknown first word loads every group) but
 * slowly; a wrong one would run without its command.
 */
const topLevel = (program: Command): string[] => program.commands.map((c) => c.name());

describe('the command table', () => {
  it.each(COMMAND_GROUPS.map((g) => [g.names.join(', '), g] as const))(
    '%s: registered alone, adds exactly those commands',
    async (_, group) => {
      const program = await registerGroups(newProgram(), [group]);
      expect(topLevel(program)).toEqual(group.names);
    },
  );

  it('every group together: each command once, in the order of the table', async () => {
    const names = topLevel(await fullProgram());
    expect(names).toEqual(COMMAND_GROUPS.flatMap((g) => g.names));
    expect(new Set(names).size).toBe(names.length);
  });

  it('a command line loads the group it names, and every group when it names none', () => {
    const only = (args: string[]) => groupsFor(args).flatMap((g) => g.names);
    expect(only(['vault', 'list', '--json'])).toEqual(['vault']);
    expect(only(['whoami'])).toEqual(['login', 'logout', 'whoami']);
    for (const args of [[], ['--help'], ['help', 'vault'], ['vaul'], ['--version', 'vault']]) {
      expect(groupsFor(args)).toHaveLength(COMMAND_GROUPS.length);
    }
  });
});
