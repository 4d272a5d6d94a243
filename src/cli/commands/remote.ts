import type { Command } from 'commander';

/** Commands that talk to a running central service through the admin API. */
export function registerRemoteCommands(_program: Command): void {}
