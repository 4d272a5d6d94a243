import type { Command } from 'commander';
import { parseReference } from '../refs/reference.js';
import { Resolver } from '../refs/resolver.js';
import { writeSecretFile } from '../refs/secret-file.js';
import { sourceFor, sourceOptions } from '../refs/sources.js';

interface ReadOptions {
  addr?: string;
  token?: string;
  newline: boolean;
  out?: string;
  force?: boolean;
}

/** `keyhold read REFERENCE`: one secret, to standard output or a file. */
export function registerRead(program: Command): void {
  sourceOptions(
    program
      .command('read <reference>')
      .description(
        'print the value a secret reference points at: keyhold://VAULT/ITEM[/SECTION]/FIELD[?attribute=otp|type|id|purpose|label] (or op://…); see docs/secret-references.md',
      )
      .option('-n, --no-newline', 'do not print a newline after the value')
      .option(
        '-o, --out <file>',
        'write the value to FILE (created with mode 0600) instead of standard output',
      )
      .option('-f, --force', 'with --out: replace FILE if it exists'),
  ).action(async (raw: string, opts: ReadOptions) => {
    const reference = parseReference(raw);
    const value = await new Resolver(sourceFor(opts)).resolve(reference);
    if (opts.out !== undefined) {
      writeSecretFile(opts.out, value, opts.force === true);
      return;
    }
    process.stdout.write(opts.newline ? `${value}\n` : value);
  });
}
