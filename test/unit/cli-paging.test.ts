import { describe, expect, it } from 'vitest';
import { nextPageCommand } from '../../src/cli/paging.js';

describe('the next-page command', () => {
  it('replaces the paging flag, keeps the filters, quotes for the shell', () => {
    expect(
      nextPageCommand('--before', '41', [
        'audit',
        'list',
        '--before',
        '90',
        '--actor',
        "o'neil@example.com",
        '--limit=5',
      ]),
    ).toBe(`keyhold audit list --actor 'o'\\''neil@example.com' --limit=5 --before 41`);
  });

  it('never repeats a token given on the command line', () => {
    const line = nextPageCommand('--cursor', 'abc', [
      'item',
      'list',
      'V',
      '--token',
      'khadm_secret',
      '--token=khadm_x',
    ]);
    expect(line).toBe('keyhold item list V --cursor abc');
  });

  it('quotes a vault name with spaces', () => {
    expect(nextPageCommand('--cursor', 'c1', ['item', 'list', 'My vault', '--cursor=c0'])).toBe(
      "keyhold item list 'My vault' --cursor c1",
    );
  });
});
