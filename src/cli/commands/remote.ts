import type { Command } from 'commander';
import { AdminClient, DEFAULT_ADDR } from '../client.js';
import { CliError } from '../errors.js';
import type { OutputOptions } from '../output.js';

/** The options every remote command takes: where the service is, how to authenticate, how to print. */
export interface RemoteOptions extends OutputOptions {
  addr?: string;
  token?: string;
}

/**
 * Adds the shared options to one command. They go on each leaf command rather than on the group,
 * so `keyhold vault list --json --addr …` works with the options anywhere on the line.
 */
export function remote(command: Command): Command {
  return command
    .option('--addr <url>', `central service address (env KEYHOLD_ADDR, default ${DEFAULT_ADDR})`)
    .option(
      '--token <token>',
      'admin API token (env KEYHOLD_TOKEN; prefer the variable: arguments are visible in the process list); without one, the user `keyhold login` signed in',
    )
    .option('--json', 'print the result as JSON instead of text');
}

/** The admin API client for a command's options (address and token fall back to the environment). */
export function clientFor(options: RemoteOptions): AdminClient {
  return new AdminClient(options);
}

/**
 * An API path from ids the user typed, each encoded as one segment. `.`, `..` and empty ids are
 * refused: URL resolution would drop them and silently aim the request at the parent resource
 * (`item delete V ..` would become a DELETE of vault V).
 */
export function apiPath(...segments: string[]): string {
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new CliError(`${JSON.stringify(segment)} is not a valid id`);
    }
  }
  return segments.map(encodeURIComponent).join('/');
}

/**
 * A whole number from a flag, checked here so a typo is reported by the CLI instead of being sent
 * to the server as `NaN`.
 */
export function integerFlag(flag: string, raw: string, min: number, max: number): number {
  const value = /^[0-9]+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Commander collector for repeatable flags (`--tag a --tag b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
