import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../../src/cli/refs/dotenv.js';
import { findPlaceholders, render } from '../../../src/cli/refs/template.js';

describe('parseDotenv', () => {
  it('reads keys, comments, export, quotes and escapes', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      'SPACED = padded value   # trailing comment',
      'export EXPORTED=op://Prod/DB/password',
      "SINGLE='literal \\n # not a comment'",
      'DOUBLE="line1\\nline2 \\"q\\" \\\\ #x" # comment',
      'MULTI="first',
      'second"',
      'EMPTY=',
      'HASH=a#b',
    ].join('\n');
    expect(Object.fromEntries(parseDotenv(text, '.env'))).toEqual({
      PLAIN: 'value',
      SPACED: 'padded value',
      EXPORTED: 'op://Prod/DB/password',
      SINGLE: 'literal \\n # not a comment',
      DOUBLE: 'line1\nline2 "q" \\ #x',
      MULTI: 'first\nsecond',
      EMPTY: '',
      HASH: 'a#b',
    });
  });

  it('names the file and line of what it cannot read, never the value', () => {
    expect(() => parseDotenv('OK=1\nnot a line', 'app.env')).toThrow('app.env:2: expected KEY=value');
    expect(() => parseDotenv('A="s3cret', 'app.env')).toThrow('app.env:1: the value of A has no closing "');
    expect(() => parseDotenv("A='x' y", 'e')).toThrow(
      "e:1: unexpected text after the closing ' of A's value",
    );
    expect(() => parseDotenv('1A=x', 'e')).toThrow('e:1:');
  });
});

describe('templates', () => {
  it('finds keyhold:// and op:// placeholders, spaces optional, and leaves other braces alone', () => {
    const template =
      'a={{ op://v/i/f }}\nb={{keyhold://v/My Item/f?attribute=otp}}\nc={{ .Values.x }} {{op://v/i/f}}';
    const found = findPlaceholders(template);
    expect(found.map((p) => p.reference)).toEqual([
      'op://v/i/f',
      'keyhold://v/My Item/f?attribute=otp',
      'op://v/i/f',
    ]);
    expect(render(template, found, (r) => `<${r.length}>`)).toBe('a=<10>\nb=<35>\nc={{ .Values.x }} <10>');
  });
});
