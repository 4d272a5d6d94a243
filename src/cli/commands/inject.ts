import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { parseReference, type SecretReference } from '../refs/reference.js';
import { Resolver } from '../refs/resolver.js';
import { writeSecretFile } from '../refs/secret-file.js';
import { sourceFor, sourceOptions } from '../refs/sources.js';
import { findPlaceholders, render } from '../refs/template.js';

interface InjectOptions {
  addr?: string;
  token?: string;
  inFile?: string;
  outFile?: string;
  force?: boolean;
}

/** `keyhold inject -i TEMPLATE [-o FILE]`: a template with its `{{ reference }}`s filled in. */
export function registerInject(program: Command): void {
  sourceOptions(
    program
      .command('inject')
      .description(
        'fill in a template: every {{ keyhold://… }} or {{ op://… }} is replaced by the secret it references; if any cannot be resolved, nothing is written',
      )
      .option('-i, --in-file <file>', 'the template (default: standard input)')
      .option(
        '-o, --out-file <file>',
        'write the result to FILE, created with mode 0600 (default: standard output)',
      )
      .option('-f, --force', 'with --out-file: replace FILE if it exists'),
  ).action(async (opts: InjectOptions) => {
    const template = readTemplate(opts.inFile);
    const placeholders = findPlaceholders(template);
    const lineOf = (offset: number) => template.slice(0, offset).split('\n').length;

    // Each distinct reference is parsed and resolved once, however often the template uses it.
    const refs = new Map<string, SecretReference>();
    const problems: { line: number; text: string }[] = [];
    for (const p of placeholders) {
      if (refs.has(p.reference)) continue;
      try {
        refs.set(p.reference, parseReference(p.reference));
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        problems.push({ line: lineOf(p.start), text: error.message });
      }
    }
    const values = new Map<string, string>();
    if (refs.size > 0) {
      const results = await new Resolver(sourceFor(opts)).resolveAll([...refs.values()]);
      for (const result of results) {
        if ('error' in result) {
          const first = placeholders.find((p) => p.reference === result.ref.raw);
          problems.push({ line: lineOf(first?.start ?? 0), text: result.error });
        } else values.set(result.ref.raw, result.value);
      }
    }
    if (problems.length > 0) {
      const count = problems.length === 1 ? 'a secret reference' : `${problems.length} secret references`;
      const listed = problems.sort((a, b) => a.line - b.line).map((p) => `line ${p.line}: ${p.text}`);
      throw new CliError(`could not resolve ${count}; nothing was written:\n  ${listed.join('\n  ')}`);
    }
    const output = render(template, placeholders, (reference) => values.get(reference) ?? '');
    if (opts.outFile !== undefined) writeSecretFile(opts.outFile, output, opts.force === true, '--out-file');
    else process.stdout.write(output);
  });
}

function readTemplate(file: string | undefined): string {
  if (file === undefined && process.stdin.isTTY) {
    throw new CliError('give the template with -i FILE, or on standard input (keyhold inject < template)');
  }
  try {
    return fs.readFileSync(file ?? 0, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${file ?? 'standard input'}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
