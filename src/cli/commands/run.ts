import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { parseDotenv } from '../refs/dotenv.js';
import { maskingStream } from '../refs/mask.js';
import { looksLikeReference, parseReference, type SecretReference } from '../refs/reference.js';
import { Resolver } from '../refs/resolver.js';
import { sourceFor, sourceOptions } from '../refs/sources.js';
import { collect } from './remote.js';

interface RunOptions {
  addr?: string;
  token?: string;
  envFile?: string[];
  masking: boolean;
}

/** Signals passed on to the child. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/**
 * `keyhold run [--env-file F]… [--no-masking] -- CMD ARGS…`: the environment with every secret
 * reference resolved, handed to CMD.
 */
export function registerRun(program: Command): void {
  sourceOptions(
    program
      .command('run')
      .description(
        'run a command with every environment variable (and --env-file entry) whose value is a secret reference (keyhold://… or op://…) replaced by the secret; the secrets are masked in its output',
      )
      .argument('<command...>', 'the command and its arguments (after --)')
      .option(
        '--env-file <file>',
        'also read variables from a dotenv file (repeatable; later files win, and files win over the environment)',
        collect,
      )
      .option('--no-masking', "pass the command's output through unchanged (secrets it prints are shown)")
      .passThroughOptions(),
  ).action(async (argv: string[], opts: RunOptions) => {
    const env = await resolvedEnvironment(opts);
    process.exitCode = await runChild(argv, env.values, opts.masking ? env.secrets : undefined);
  });
}

/** The environment: the process's, overlaid with the env files, with every reference resolved. */
async function resolvedEnvironment(
  opts: RunOptions,
): Promise<{ values: NodeJS.ProcessEnv; secrets: string[] }> {
  const values: NodeJS.ProcessEnv = { ...process.env };
  const origin = new Map<string, string>();
  for (const file of opts.envFile ?? []) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(
        `--env-file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    for (const [key, value] of parseDotenv(text, file)) {
      values[key] = value;
      origin.set(key, file);
    }
  }
  const wanted: { name: string; ref: SecretReference }[] = [];
  const problems: string[] = [];
  const where = (name: string) => `${name}${origin.has(name) ? ` (${origin.get(name)})` : ''}`;
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || !looksLikeReference(value)) continue;
    try {
      wanted.push({ name, ref: parseReference(value.trim()) });
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      problems.push(`${where(name)}: ${error.message}`);
    }
  }
  const secrets: string[] = [];
  if (wanted.length > 0) {
    const resolver = new Resolver(sourceFor(opts));
    const results = await resolver.resolveAll(wanted.map((w) => w.ref));
    results.forEach((result, i) => {
      const { name } = wanted[i] as { name: string };
      if ('error' in result) problems.push(`${where(name)}: ${result.error}`);
      else {
        values[name] = result.value;
        secrets.push(result.value);
      }
    });
  }
  if (problems.length > 0) {
    const count = problems.length === 1 ? 'a secret reference' : `${problems.length} secret references`;
    throw new CliError(`could not resolve ${count}; the command was not run:\n  ${problems.join('\n  ')}`);
  }
  return { values, secrets };
}

/**
 * Runs the child to its end; resolves to the exit code a shell would report: the child's own, or
 * 128 + the signal's number when a signal ended it. Standard input is the child's directly;
 * standard output and error too unless `secrets` are to be masked, in which case they go through
 * a Masker each. Signals sent to `keyhold run` are passed on to the child — except SIGINT and
 * SIGQUIT when standard input is a terminal: the terminal sends those (Ctrl-C, Ctrl-\) to the
 * whole foreground process group, child included, and a second copy would make a program that
 * shuts down gracefully on the first Ctrl-C stop at once.
 */
function runChild(argv: string[], env: NodeJS.ProcessEnv, secrets: string[] | undefined): Promise<number> {
  const [command, ...args] = argv as [string, ...string[]];
  const masked = secrets !== undefined;
  const child = spawn(command, args, {
    env,
    stdio: ['inherit', masked ? 'pipe' : 'inherit', masked ? 'pipe' : 'inherit'],
  });
  const relays = masked
    ? [
        relay(child.stdout as Readable, process.stdout, secrets),
        relay(child.stderr as Readable, process.stderr, secrets),
      ]
    : [];
  const fromTerminal = new Set<string>(process.stdin.isTTY ? ['SIGINT', 'SIGQUIT'] : []);
  const forward = (signal: NodeJS.Signals) => {
    if (fromTerminal.has(signal)) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  return new Promise<number>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      for (const signal of FORWARDED) process.off(signal, forward);
      if (error.code === 'ENOENT') reject(new CliError(`${command}: command not found`, 127));
      else if (error.code === 'EACCES') reject(new CliError(`${command}: permission denied`, 126));
      else reject(new CliError(`${command}: cannot run it (${error.code ?? error.message})`, 126));
    });
    child.on('close', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      void Promise.all(relays).then(() => {
        if (signal) resolve(128 + (constants.signals[signal] ?? 0));
        else resolve(code ?? 1);
      });
    });
  });
}

/**
 * The child's output through a Masker to ours. If ours is closed (`keyhold run … | head`), the
 * child's pipe is closed too, so the child meets the closed pipe as it would without us (SIGPIPE
 * or EPIPE) instead of writing forever into nothing.
 */
function relay(from: Readable, to: Writable, secrets: string[]): Promise<void> {
  const mask = maskingStream(secrets);
  from.pipe(mask);
  mask.pipe(to, { end: false });
  return new Promise((resolve) => {
    mask.once('end', resolve);
    to.once('error', () => {
      mask.unpipe(to);
      from.unpipe(mask);
      from.destroy();
      mask.destroy();
      resolve();
    });
  });
}
