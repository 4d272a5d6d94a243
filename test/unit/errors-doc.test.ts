import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CODES } from '../../src/domain/oauth/oauth-error.js';
import { ERROR_CODES } from '../../src/errors/app-error.js';
import { PROCESS_ERROR_CODES } from '../../src/errors/process-error.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** The codes in the table of the section headed `heading` (rows starting with a `code`). */
function documented(heading: string): string[] {
  const section = doc.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  if (section === undefined) throw new Error(`docs/errors.md has no section "${heading}"`);
  return [...section.matchAll(/^\| `([a-z0-9_]+)` +\|/gm)].map((m) => m[1] as string).sort();
}

describe('docs/errors.md', () => {
  it('documents every error code, and no code that does not exist', () => {
    expect(documented('API codes')).toEqual(Object.keys(ERROR_CODES).sort());
    // Each API row gives the code's status.
    const withStatus = [...doc.matchAll(/^\| `([a-z0-9_]+)` +\| \d{3} +\|/gm)].map((m) => m[1]);
    expect(withStatus).toEqual(expect.arrayContaining(Object.keys(ERROR_CODES)));
  });

  it('documents every OAuth code', () => {
    expect(documented('OAuth codes')).toEqual([...OAUTH_ERROR_CODES].sort());
  });

  it('documents every start-up and command-line code', () => {
    expect(documented('Start-up and command-line codes')).toEqual(Object.keys(PROCESS_ERROR_CODES).sort());
  });
});
