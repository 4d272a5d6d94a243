import { paint } from './colour.js';

/**
 * The next-page hint of a paged list: the command line the user ran, with the paging flag set to
 * where the next page starts, on standard error, so standard output stays the list alone for a
 * pipe (`--json` carries the cursor in the document instead). `--token` and its value are left
 * out: the hint must not repeat a secret to the terminal.
 */
export function hintNextPage(
  flag: string,
  value: string,
  argv: readonly string[] = process.argv.slice(2),
): void {
  process.stderr.write(`${paint('dim', `More: ${nextPageCommand(flag, value, argv)}`, process.stderr)}\n`);
}

/** `keyhold ARGS…` with `flag` (and `--token`) removed and `flag value` appended, quoted for a POSIX shell. */
export function nextPageCommand(flag: string, value: string, argv: readonly string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === flag || arg === '--token') {
      i++;
      continue;
    }
    if (arg.startsWith(`${flag}=`) || arg.startsWith('--token=')) continue;
    kept.push(arg);
  }
  return ['keyhold', ...kept, flag, value].map(shellQuote).join(' ');
}

const shellQuote = (word: string) =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
