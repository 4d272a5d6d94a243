import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanup, runCli, tempDataDir } from '../helpers/processes.js';

/**
 * `keyhold completion bash|zsh|fish`, printed by the built CLI and loaded into the real shells.
 * bash is always there: the script is sourced and its function called as bash calls it on Tab
 * (COMP_WORDS and COMP_CWORD set, COMPREPLY read back). zsh and fish are checked when installed
 * (their syntax check); the CI image has neither, and they are not installed for this alone.
 */

const scripts: Record<string, string> = {};
let dir: string;

beforeAll(async () => {
  dir = tempDataDir();
  for (const shell of ['bash', 'zsh', 'fish']) {
    const result = await runCli(['completion', shell]);
    expect(result.code, result.stderr).toBe(0);
    scripts[shell] = result.stdout;
    fs.writeFileSync(path.join(dir, `keyhold.${shell}`), result.stdout);
  }
}, 30_000);

afterAll(cleanup);

const installed = (shell: string): boolean => spawnSync(shell, ['-c', 'exit 0']).status === 0;

/** Sources the bash script and answers, for each line typed (the last word being completed), COMPREPLY. */
function bashComplete(lines: string[]): string[][] {
  const calls = lines.map((line) => {
    const words = line.split(' ');
    const array = words.map((w) => `'${w}'`).join(' ');
    return `COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _keyhold; echo "\${COMPREPLY[*]}"`;
  });
  const run = spawnSync(
    'bash',
    [
      '--norc',
      '--noprofile',
      '-c',
      `source "$1"\n${calls.join('\n')}`,
      'bash',
      path.join(dir, 'keyhold.bash'),
    ],
    {
      encoding: 'utf8',
    },
  );
  expect(run.status, run.stderr).toBe(0);
  expect(run.stderr).toBe('');
  return run.stdout
    .split('\n')
    .slice(0, lines.length)
    .map((l) => (l === '' ? [] : l.split(' ')));
}

describe('keyhold completion', () => {
  it('bash: the script loads and registers its function for keyhold', () => {
    const run = spawnSync(
      'bash',
      [
        '--norc',
        '--noprofile',
        '-c',
        'source <(node "$1" completion bash); complete -p keyhold',
        'bash',
        CLI,
      ],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('complete -o default -F _keyhold keyhold');
  });

  it('bash: completes commands, subcommands, options and choices from the command tree', () => {
    const [va, vaultL, vaultSub, options, afterValue, itemFile, shells, top] = bashComplete([
      'keyhold va',
      'keyhold vault l',
      'keyhold vault ',
      'keyhold vault list --',
      // The value of --addr is skipped, not taken for a command: `vault` is still found.
      'keyhold vault list --addr vault --j',
      'keyhold item file ',
      'keyhold completion ',
      'keyhold ',
    ]);
    expect(va).toEqual(['vault']);
    expect(vaultL).toEqual(['list']);
    expect(vaultSub).toEqual(expect.arrayContaining(['create', 'list', 'get', 'delete']));
    expect(options).toEqual(expect.arrayContaining(['--addr', '--token', '--json', '--help']));
    expect(afterValue).toEqual(['--json']);
    expect(itemFile).toEqual(expect.arrayContaining(['add', 'get']));
    expect(shells).toEqual(['bash', 'zsh', 'fish']);
    expect(top).toEqual(expect.arrayContaining(['init', 'serve', 'vault', 'item', 'login', 'completion']));
  });

  it('bash: nothing to offer for an option value without choices (bash then lists files)', () => {
    expect(bashComplete(['keyhold vault list --addr '])).toEqual([[]]);
  });

  it('the scripts name every command the CLI has, with descriptions for zsh and fish', () => {
    for (const command of ['vault', 'admin-token', 'resource-server', 'completion']) {
      for (const shell of ['bash', 'zsh', 'fish']) expect(scripts[shell]).toContain(command);
    }
    expect(scripts.zsh).toContain("'vault:manage the vaults of the caller");
    expect(scripts.fish).toContain(
      "'vault'\\t'manage the vaults of the caller\\'s account (a vault by name or id)'",
    );
  });

  it.runIf(installed('zsh'))('zsh: the script parses (zsh -n)', () => {
    const run = spawnSync('zsh', ['-n', path.join(dir, 'keyhold.zsh')], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
  });

  it.runIf(installed('fish'))('fish: the script parses (fish --no-execute)', () => {
    const run = spawnSync('fish', ['--no-execute', path.join(dir, 'keyhold.fish')], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
  });
});
