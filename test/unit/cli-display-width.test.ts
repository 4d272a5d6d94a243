import { describe, expect, it } from 'vitest';
import { colourWanted, paint } from '../../src/cli/colour.js';
import { displayWidth } from '../../src/cli/display-width.js';
import { table } from '../../src/cli/output.js';

describe('displayWidth: terminal columns, not UTF-16 units', () => {
  it.each([
    ['ascii', 'Production', 10],
    ['empty', '', 0],
    ['CJK ideographs', '本番環境', 8],
    ['kana and fullwidth', 'カタカナＡ', 10],
    ['Hangul syllables', '비밀', 4],
    ['Hangul from Jamo (one syllable, two columns)', '\u1100\u1161\u11a8', 2],
    ['emoji with emoji presentation', '🔑', 2],
    ['emoji outside the BMP next to text', 'db🔑x', 5],
    ['text pictograph made emoji by VS16', '❤\uFE0F', 2],
    ['text pictograph without VS16', '❤', 1],
    ['ZWJ family sequence is one picture', '👨\u200D👩\u200D👧\u200D👦', 2],
    ['ZWJ profession with skin tone', '🧑🏽\u200D💻', 2],
    ['flag: two regional indicators', '🇯🇵', 2],
    ['two flags', '🇯🇵🇫🇷', 4],
    ['keycap sequence', '1\uFE0F\u20E3', 1],
    ['precomposed é', 'caf\u00e9', 4],
    ['e + combining acute', 'cafe\u0301', 4],
    ['several combining marks on one letter', 'a\u0301\u0323\u0308', 1],
    ['a lone combining mark', '\u0301', 0],
    ['zero-width joiner and space alone', '\u200D\u200B', 0],
    ['ANSI colour codes take no column', '\u001b[1mID\u001b[22m', 2],
  ])('%s', (_name, text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

describe('table lines columns up by display width', () => {
  it('pads wide and zero-width text to the same column', () => {
    const out = table(
      ['NAME', 'ID'],
      [
        ['本番環境', 'a'],
        ['cafe\u0301', 'b'],
        ['👨\u200D👩\u200D👧 team', 'c'],
        ['🇯🇵', 'd'],
      ],
    );
    const lines = out.split('\n');
    // The ID column starts at the same terminal column on every line.
    const idColumn = lines.map((line) => displayWidth(line.slice(0, line.lastIndexOf(' ') + 1)));
    expect(new Set(idColumn).size).toBe(1);
    expect(idColumn[0]).toBe(displayWidth('本番環境') + 2);
  });

  it('has no escape codes when standard output is not a terminal (as under vitest)', () => {
    expect(table(['A'], [['x']])).toBe('A\nx');
  });
});

describe('colour only where a person reads it', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it.each([
    ['a terminal', tty, {}, true],
    ['a pipe', pipe, {}, false],
    ['a terminal with NO_COLOR=1', tty, { NO_COLOR: '1' }, false],
    ['a terminal with NO_COLOR empty (ignored, as no-color.org says)', tty, { NO_COLOR: '' }, true],
    ['a dumb terminal', tty, { TERM: 'dumb' }, false],
    ['a pipe with FORCE_COLOR=1', pipe, { FORCE_COLOR: '1' }, true],
    ['a terminal with FORCE_COLOR=0', tty, { FORCE_COLOR: '0' }, false],
    ['FORCE_COLOR=1 wins over NO_COLOR', pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
  ])('%s', (_name, stream, env, wanted) => {
    expect(colourWanted(stream, env)).toBe(wanted);
  });

  it('paints with SGR codes that reset only what they set', () => {
    expect(paint('red', 'keyhold:', tty, {})).toBe('\u001b[31mkeyhold:\u001b[39m');
    expect(paint('bold', 'ID', tty, {})).toBe('\u001b[1mID\u001b[22m');
    expect(paint('red', 'keyhold:', pipe, {})).toBe('keyhold:');
    expect(paint('red', 'keyhold:', tty, { NO_COLOR: 'yes' })).toBe('keyhold:');
  });
});
