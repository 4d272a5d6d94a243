import { paint } from './colour.js';
import { displayWidth, padEndColumns } from './display-width.js';

/** Global output options every command honours. */
export interface OutputOptions {
  json?: boolean;
}

/**
 * Prints a command's result: the JSON document with `--json` (for scripts), otherwise the human
 * rendering the command provides.
 */
export function emit<T>(result: T, options: OutputOptions, human: (result: T) => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${human(result)}\n`);
}

/**
 * A plain left-aligned table for listings. Columns are measured in terminal columns (a CJK
 * character or an emoji is two, a combining mark none), so they line up whatever the names; the
 * header is bold on a terminal (see colour.ts).
 */
export function table(headers: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return '(none)';
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => displayWidth(r[i] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((c, i) => padEndColumns(c, widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const [head, ...body] = cells.map(line);
  return [paint('bold', head as string), ...body].join('\n');
}

/**
 * A closed pipe on standard output (`keyhold vault list | head -1`) ends the command quietly with
 * status 0, as the reader chose to stop: Node ignores SIGPIPE, so the write fails with EPIPE, which
 * would otherwise surface as an unhandled 'error' event and a stack trace. A closed standard error
 * is ignored for the same reason.
 */
export function quietOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
