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

/** A plain left-aligned table for listings. */
export function table(headers: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return '(none)';
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
