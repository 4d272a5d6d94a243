import { Argument, type Command } from 'commander';
import { commandTree, completionScript, SHELLS, type Shell } from '../completion.js';

/** `keyhold completion bash|zsh|fish`: prints a completion script for that shell. */
export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description(
      'print a shell completion script of every command and option: `source <(keyhold completion bash)`, `source <(keyhold completion zsh)`, `keyhold completion fish | source`',
    )
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action(async (shell: Shell) => {
      // Every command, not only this one: a run registers the group of the command it runs alone.
      const { fullProgram } = await import('../program.js');
      process.stdout.write(completionScript(shell, 'keyhold', commandTree(await fullProgram())));
    });
}
