import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ItemFilter,
  matchesItem,
  matchesVault,
  parseItemFilter,
  parseVaultFilter,
} from '../../../src/domain/connect/filter.js';
import { expectInvalid } from '../items/helpers.js';

const ITEM_FORMS = 'expected title eq "…", title co "…" or tag eq "…"';
const VAULT_FORMS = 'expected name eq "…" or title eq "…"';
const itemError = (shown: string) => `Invalid filter ${JSON.stringify(shown)}: ${ITEM_FORMS}`;
const vaultError = (shown: string) => `Invalid filter ${JSON.stringify(shown)}: ${VAULT_FORMS}`;

describe('parseItemFilter', () => {
  it('treats an absent, empty or blank filter as no filter', () => {
    for (const raw of [undefined, '', '   ', '\t\n', '+++']) {
      expect(parseItemFilter(raw)).toBeUndefined();
    }
  });

  it('parses the three accepted forms', () => {
    expect(parseItemFilter('title eq "Prod DB"')).toEqual({ attribute: 'title', op: 'eq', value: 'Prod DB' });
    expect(parseItemFilter('title co "DB"')).toEqual({ attribute: 'title', op: 'co', value: 'DB' });
    expect(parseItemFilter('tag eq "prod"')).toEqual({ attribute: 'tag', op: 'eq', value: 'prod' });
  });

  it('accepts what the JS SDK sends once %20 is decoded by the framework', () => {
    // listItemsByTitle('My Login') → ?filter=title%20eq%20%22My%20Login%22
    expect(parseItemFilter('title eq "My Login"')).toEqual({
      attribute: 'title',
      op: 'eq',
      value: 'My Login',
    });
  });

  it('decodes + as a space, inside the value too (Go SDK, op CLI)', () => {
    expect(parseItemFilter('title+eq+"My+Login"')).toEqual({
      attribute: 'title',
      op: 'eq',
      value: 'My Login',
    });
    expect(parseItemFilter('tag+eq+"team+a"')).toEqual({ attribute: 'tag', op: 'eq', value: 'team a' });
  });

  it('keeps + literal when the framework already decoded it', () => {
    // Fastify's query parser has turned `+` into a space and `%2B` into `+` by now.
    expect(parseItemFilter('title eq "C++"', { plusIsSpace: false })).toEqual({
      attribute: 'title',
      op: 'eq',
      value: 'C++',
    });
    expectInvalid(() => parseItemFilter('title+eq+"x"', { plusIsSpace: false }), itemError('title+eq+"x"'));
  });

  it('takes the value from the first to the last quote (the JS SDK does not escape quotes)', () => {
    expect(parseItemFilter('title eq "say "hi""')).toEqual({
      attribute: 'title',
      op: 'eq',
      value: 'say "hi"',
    });
    expect(parseItemFilter('title eq """')).toEqual({ attribute: 'title', op: 'eq', value: '"' });
    expect(parseItemFilter('title co "a" "b"')).toEqual({ attribute: 'title', op: 'co', value: 'a" "b' });
    // A second clause is not supported; by the same rule it becomes part of the value.
    expect(parseItemFilter('title eq "x" and tag eq "y"')).toEqual({
      attribute: 'title',
      op: 'eq',
      value: 'x" and tag eq "y',
    });
  });

  it('keeps & and # when they arrive intact (percent-encoded by the Go SDK)', () => {
    expect(parseItemFilter('title eq "R&D #1"')).toEqual({ attribute: 'title', op: 'eq', value: 'R&D #1' });
  });

  it('answers 400 for & and # as the JS SDK delivers them (cut off by the query parser)', () => {
    // ?filter=title%20eq%20%22R&D%22 → filter is `title eq "R`; `#` starts the fragment.
    expectInvalid(() => parseItemFilter('title eq "R'), itemError('title eq "R'));
    expectInvalid(() => parseItemFilter('title eq "Issue '), itemError('title eq "Issue'));
  });

  it('keeps the value verbatim: spaces at its ends, an empty value, other characters', () => {
    expect(parseItemFilter('title eq "  padded  "')?.value).toBe('  padded  ');
    expect(parseItemFilter('title eq ""')?.value).toBe('');
    expect(parseItemFilter('title eq "日本語 ✓ %20"')?.value).toBe('日本語 ✓ %20');
    expect(parseItemFilter('title eq "two\nlines"')?.value).toBe('two\nlines');
  });

  it('reads attribute and operator case-insensitively', () => {
    expect(parseItemFilter('TITLE EQ "X"')).toEqual({ attribute: 'title', op: 'eq', value: 'X' });
    expect(parseItemFilter('Title Co "X"')).toEqual({ attribute: 'title', op: 'co', value: 'X' });
    expect(parseItemFilter('tAg eQ "X"')).toEqual({ attribute: 'tag', op: 'eq', value: 'X' });
  });

  it('tolerates extra whitespace around and between the parts', () => {
    expect(parseItemFilter('  title \t eq   "x"  ')).toEqual({ attribute: 'title', op: 'eq', value: 'x' });
  });

  it.each([
    'title ne "x"',
    'title eq x',
    'foo eq "x"',
    'title eq "',
    'title eq "x',
    'title eq x"',
    'title "x"',
    'eq "x"',
    '"x"',
    'title eq"x"',
    'title eq "x" junk',
    'tag co "x"',
    'name eq "x"',
    'title eq "x" or',
  ])('rejects %j', (raw) => {
    expectInvalid(() => parseItemFilter(raw), itemError(raw));
  });

  it('echoes at most 60 characters of the filter, trimmed and quoted', () => {
    const raw = `  title ne "${'a'.repeat(100)}"`;
    expectInvalid(() => parseItemFilter(raw), itemError(`${raw.trim().slice(0, 60)}…`));
    // Cut by code points, so an emoji is never split into a lone surrogate.
    const emoji = `foo eq "${'😀'.repeat(80)}"`;
    expectInvalid(() => parseItemFilter(emoji), itemError(`foo eq "${'😀'.repeat(52)}…`));
  });

  it('escapes control characters it echoes', () => {
    expectInvalid(
      () => parseItemFilter('title\u0000eq x\n'),
      `Invalid filter "title\\u0000eq x": ${ITEM_FORMS}`,
    );
  });

  it('gives back any title without + exactly', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }).filter((title) => !title.includes('+')),
        (title) => {
          expect(parseItemFilter(`title eq "${title}"`)).toEqual({
            attribute: 'title',
            op: 'eq',
            value: title,
          });
        },
      ),
    );
  });

  it('gives back any title the Go SDK encodes with + for spaces', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 100 }).filter((title) => !title.includes('+')),
        (title) => {
          const sent = `title eq "${title}"`.replaceAll(' ', '+');
          expect(parseItemFilter(sent)?.value).toBe(title);
        },
      ),
    );
  });

  it('never fails with anything but a 400', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (raw) => {
        try {
          parseItemFilter(raw);
          parseVaultFilter(raw);
        } catch (error) {
          expect((error as { code?: string }).code).toBe('invalid_input');
        }
      }),
    );
  });
});

describe('parseVaultFilter', () => {
  it('treats an absent or blank filter as no filter', () => {
    expect(parseVaultFilter(undefined)).toBeUndefined();
    expect(parseVaultFilter(' ')).toBeUndefined();
  });

  it('accepts name eq (the spec) and title eq (every real client), both as name', () => {
    expect(parseVaultFilter('name eq "Prod"')).toEqual({ attribute: 'name', op: 'eq', value: 'Prod' });
    expect(parseVaultFilter('title eq "Prod"')).toEqual({ attribute: 'name', op: 'eq', value: 'Prod' });
    expect(parseVaultFilter('TITLE eq "My Vault"')).toEqual({
      attribute: 'name',
      op: 'eq',
      value: 'My Vault',
    });
    expect(parseVaultFilter('Name EQ "x"')).toEqual({ attribute: 'name', op: 'eq', value: 'x' });
  });

  it('decodes + and takes the value between the first and last quote', () => {
    expect(parseVaultFilter('title+eq+"Team+"A""')).toEqual({
      attribute: 'name',
      op: 'eq',
      value: 'Team "A"',
    });
  });

  it.each(['title co "x"', 'tag eq "x"', 'name ne "x"', 'name eq x', 'name eq "'])('rejects %j', (raw) => {
    expectInvalid(() => parseVaultFilter(raw), vaultError(raw));
  });

  it('gives back any name without + exactly', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }).filter((name) => !name.includes('+')),
        (name) => {
          expect(parseVaultFilter(`title eq "${name}"`)?.value).toBe(name);
          expect(parseVaultFilter(`name eq "${name}"`)?.value).toBe(name);
        },
      ),
    );
  });
});

describe('matchesItem', () => {
  const item = { title: 'Prod Database', tags: ['prod', 'Team A'] };
  const filter = (raw: string) => parseItemFilter(raw) as ItemFilter;

  it('title eq is exact and case-sensitive', () => {
    expect(matchesItem(filter('title eq "Prod Database"'), item)).toBe(true);
    expect(matchesItem(filter('title eq "prod database"'), item)).toBe(false);
    expect(matchesItem(filter('title eq "Prod"'), item)).toBe(false);
    expect(matchesItem(filter('title eq "Prod Database "'), item)).toBe(false);
  });

  it('title co is a case-insensitive substring match', () => {
    expect(matchesItem(filter('title co "data"'), item)).toBe(true);
    expect(matchesItem(filter('title co "PROD D"'), item)).toBe(true);
    expect(matchesItem(filter('title co "Prod Database"'), item)).toBe(true);
    expect(matchesItem(filter('title co ""'), item)).toBe(true);
    expect(matchesItem(filter('title co "staging"'), item)).toBe(false);
  });

  it('tag eq matches any one tag exactly', () => {
    expect(matchesItem(filter('tag eq "prod"'), item)).toBe(true);
    expect(matchesItem(filter('tag eq "Team A"'), item)).toBe(true);
    expect(matchesItem(filter('tag eq "team a"'), item)).toBe(false);
    expect(matchesItem(filter('tag eq "pro"'), item)).toBe(false);
    expect(matchesItem(filter('tag eq "Prod Database"'), item)).toBe(false);
    expect(matchesItem(filter('tag eq "prod"'), { title: 'x', tags: [] })).toBe(false);
  });

  it('a title eq filter built from any title matches that title and no other', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 50 }).filter((title) => !title.includes('+')),
        fc.string({ maxLength: 50 }),
        (title, other) => {
          const parsed = filter(`title eq "${title}"`);
          expect(matchesItem(parsed, { title, tags: [] })).toBe(true);
          expect(matchesItem(parsed, { title: other, tags: [] })).toBe(other === title);
        },
      ),
    );
  });
});

describe('matchesVault', () => {
  it('matches the name exactly', () => {
    const byName = parseVaultFilter('title eq "Prod"');
    if (byName === undefined) throw new Error('expected a filter');
    expect(matchesVault(byName, { name: 'Prod' })).toBe(true);
    expect(matchesVault(byName, { name: 'prod' })).toBe(false);
    expect(matchesVault(byName, { name: 'Production' })).toBe(false);
  });
});
