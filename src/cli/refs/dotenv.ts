import { CliError } from '../errors.js';

/**
 * Environment files in dotenv syntax, as `keyhold run --env-file` reads them:
 *
 * - `KEY=value` per line; `export KEY=value` too; blank lines and lines starting with `#` are
 *   skipped; spaces around the key and `=` are ignored.
 * - Unquoted values end at ` #` (a comment) and are trimmed.
 * - `'single quoted'` values are literal; `"double quoted"` values may span lines and take the
 *   escapes `\n`, `\r`, `\t`, `\"` and `\\`. Text after the closing quote may only be a comment.
 * - No variable expansion (`${OTHER}` stays as written).
 *
 * A line that is none of these is an error naming the file and line, never quoting the value.
 */
export function parseDotenv(text: string, file: string): Map<string, string> {
  const entries = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    const where = `${file}:${n + 1}`;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!match) throw new CliError(`${where}: expected KEY=value (a key is letters, digits and _)`);
    const key = match[1] as string;
    let rest = (match[2] as string).trimStart();
    const quote = rest[0];
    if (quote === "'" || quote === '"') {
      // A quoted value may continue on the following lines until its closing quote.
      let body = rest.slice(1);
      let close = closingQuote(body, quote);
      while (close < 0 && n + 1 < lines.length) {
        n += 1;
        body += `\n${lines[n] as string}`;
        close = closingQuote(body, quote);
      }
      if (close < 0) throw new CliError(`${where}: the value of ${key} has no closing ${quote}`);
      const after = body.slice(close + 1).trim();
      if (after !== '' && !after.startsWith('#')) {
        throw new CliError(`${where}: unexpected text after the closing ${quote} of ${key}'s value`);
      }
      rest = body.slice(0, close);
      entries.set(key, quote === '"' ? unescapeDoubleQuoted(rest) : rest);
    } else {
      const comment = rest.search(/\s#/);
      entries.set(key, (comment < 0 ? rest : rest.slice(0, comment)).trim());
    }
  }
  return entries;
}

/** The index of the quote that closes a value (a `\"` inside double quotes does not). */
function closingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (quote === '"' && body[i] === '\\') {
      i += 1;
      continue;
    }
    if (body[i] === quote) return i;
  }
  return -1;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

function unescapeDoubleQuoted(value: string): string {
  return value.replace(/\\(.)/g, (whole, c: string) => ESCAPES[c] ?? whole);
}
