import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ItemFilter,
  matchesItem,
  matchesVault,
  parseItemFilter,
  parseVaultFilter,
  type VaultFilter,
} from '../../../src/domain/connect/filter.js';
import { expectInvalid, invalidMessage } from '../items/helpers.js';

const ITEM_FORMS = '(filters are title eq "…", title co "…" or tag eq "…", joined with and/or)';
const VAULT_FORMS = '(filters are name eq "…" or title eq "…", joined with and/or)';
const itemError = (shown: string, at: number, reason: string) =>
  `Invalid filter ${JSON.stringify(shown)} at character ${at}: ${reason} ${ITEM_FORMS}`;
const vaultError = (shown: string, at: number, reason: string) =>
  `Invalid filter ${JSON.stringify(shown)} at character ${at}: ${reason} ${VAULT_FORMS}`;

const title = (value: string, op: 'eq' | 'co' = 'eq') => ({ attribute: 'title', op, value });
const tag = (value: string) => ({ attribute: 'tag', op: 'eq', value });
const name = (value: string) => ({ attribute: 'name', op: 'eq', value });
/** A title the SDKs can send without escaping: no `"`, `\\`, `+` or control character. */
const unescaped = (value: string) => Array.from(value).every((c) => !'"\\+'.includes(c) && c >= ' ');

describe('parseItemFilter', () => {
  it('treats an absent, empty or blank filter as no filter', () => {
    for (const raw of [undefined, '', '   ', '\t\n', '+++']) {
      expect(parseItemFilter(raw)).toBeUndefined();
    }
  });

  it('parses the three comparisons', () => {
    expect(parseItemFilter('title eq "Prod DB"')).toEqual(title('Prod DB'));
    expect(parseItemFilter('title co "DB"')).toEqual(title('DB', 'co'));
    expect(parseItemFilter('tag eq "prod"')).toEqual(tag('prod'));
  });

  it('joins comparisons with and / or, and binding tighter, parentheses grouping (as Connect documents)', () => {
    expect(parseItemFilter('title eq "Example Item" or tag eq "banking"')).toEqual({
      any: [title('Example Item'), tag('banking')],
    });
    expect(parseItemFilter('title eq "a" or title eq "b"')).toEqual({ any: [title('a'), title('b')] });
    expect(parseItemFilter('title co "db" and tag eq "prod"')).toEqual({
      all: [title('db', 'co'), tag('prod')],
    });
    expect(parseItemFilter('tag eq "a" or tag eq "b" and title co "c"')).toEqual({
      any: [tag('a'), { all: [tag('b'), title('c', 'co')] }],
    });
    expect(parseItemFilter('(tag eq "a" or tag eq "b") AND title co "c"')).toEqual({
      all: [{ any: [tag('a'), tag('b')] }, title('c', 'co')],
    });
    expect(parseItemFilter('( ( title eq "x" ) )')).toEqual(title('x'));
    expect(parseItemFilter('tag eq "a" Or tag eq "b" oR tag eq "c"')).toEqual({
      any: [tag('a'), tag('b'), tag('c')],
    });
  });

  it('reads quoted values as JSON strings (RFC 7644 §3.4.2.2): \\" \\\\ and the other escapes', () => {
    expect(parseItemFilter(String.raw`title eq "say \"hi\""`)).toEqual(title('say "hi"'));
    expect(parseItemFilter(String.raw`title eq "C:\\temp\\"`)).toEqual(title('C:\\temp\\'));
    expect(parseItemFilter(String.raw`title eq "\"" or title eq "\\"`)).toEqual({
      any: [title('"'), title('\\')],
    });
    expect(parseItemFilter(String.raw`title eq "a\/b\tc\u00e9\ud83d\udd11"`)).toEqual(title('a/b\tcé🔑'));
    expect(parseItemFilter(String.raw`title eq "\" or title eq \""`)).toEqual(title('" or title eq "'));
  });

  it('accepts what the JS SDK sends once %20 is decoded by the framework', () => {
    // listItemsByTitle('My Login') → ?filter=title%20eq%20%22My%20Login%22
    expect(parseItemFilter('title eq "My Login"')).toEqual(title('My Login'));
  });

  it('decodes + as a space, inside the value too (Go SDK, op CLI)', () => {
    expect(parseItemFilter('title+eq+"My+Login"')).toEqual(title('My Login'));
    expect(parseItemFilter('tag+eq+"team+a"+or+tag+eq+"b"')).toEqual({ any: [tag('team a'), tag('b')] });
  });

  it('keeps + literal when the framework already decoded it', () => {
    // Fastify's query parser has turned `+` into a space and `%2B` into `+` by now.
    expect(parseItemFilter('title eq "C++"', { plusIsSpace: false })).toEqual(title('C++'));
    expectInvalid(
      () => parseItemFilter('title+eq+"x"', { plusIsSpace: false }),
      itemError('title+eq+"x"', 1, 'expected title or tag'),
    );
  });

  it('takes an unescaped quote literally where it cannot end the value (the JS SDK does not escape titles)', () => {
    expect(parseItemFilter('title eq "Say "cheese""')).toEqual(title('Say "cheese"'));
    expect(parseItemFilter('title eq "R&D "db"#1"')).toEqual(title('R&D "db"#1'));
    expect(parseItemFilter('title eq """')).toEqual(title('"'));
    expect(parseItemFilter('title eq "x"y" or tag eq "z"')).toEqual({ any: [title('x"y'), tag('z')] });
    // A quote followed by a space, ")" or the end always ends the value.
    expect(parseItemFilter('title eq "x" and tag eq "y"')).toEqual({ all: [title('x'), tag('y')] });
    expectInvalid(
      () => parseItemFilter('title eq "say "hi" to me"'),
      itemError('title eq "say "hi" to me"', 20, 'expected and, or or the end of the filter'),
    );
  });

  it('keeps & and # when they arrive intact (percent-encoded by the Go SDK)', () => {
    expect(parseItemFilter('title eq "R&D #1"')).toEqual(title('R&D #1'));
  });

  it('keeps the value verbatim: spaces at its ends, an empty value, other characters', () => {
    expect(parseItemFilter('title eq "  padded  "')).toEqual(title('  padded  '));
    expect(parseItemFilter('title eq ""')).toEqual(title(''));
    expect(parseItemFilter('title eq "日本語 ✓ %20 (x) and/or"')).toEqual(title('日本語 ✓ %20 (x) and/or'));
    expect(parseItemFilter('title eq "a and b or c"')).toEqual(title('a and b or c'));
  });

  it('reads attribute, operator, and / or case-insensitively', () => {
    expect(parseItemFilter('TITLE EQ "X"')).toEqual(title('X'));
    expect(parseItemFilter('Title Co "X"')).toEqual(title('X', 'co'));
    expect(parseItemFilter('tAg eQ "X" AnD tag EQ "Y"')).toEqual({ all: [tag('X'), tag('Y')] });
  });

  it('tolerates extra whitespace around and between the parts', () => {
    expect(parseItemFilter('  title \t eq   "x"  ')).toEqual(title('x'));
    expect(parseItemFilter('title eq "x"   or \t tag eq "y"')).toEqual({ any: [title('x'), tag('y')] });
  });

  // Each refused filter with the exact message: where, and why.
  it.each([
    ['title ne "x"', 7, 'title takes eq or co'],
    ['title sw "x"', 7, 'title takes eq or co'],
    ['tag co "x"', 5, 'tag takes eq'],
    ['title pr', 7, 'title takes eq or co'],
    ['title eq x', 10, 'expected a value in double quotes'],
    ['title eq 1', 10, 'expected a value in double quotes'],
    ['foo eq "x"', 1, 'expected title or tag'],
    ['name eq "x"', 1, 'expected title or tag'],
    ['not (title eq "x")', 1, 'expected title or tag'],
    ['title eq "', 10, 'the value has no closing quote'],
    ['title eq "x', 10, 'the value has no closing quote'],
    ['title eq x"', 10, 'expected a value in double quotes'],
    ['title "x"', 7, 'title takes eq or co'],
    ['eq "x"', 1, 'expected title or tag'],
    ['"x"', 1, 'expected title or tag'],
    ['title eq"x"', 9, 'expected a space'],
    ['titleeq "x"', 1, 'expected title or tag'],
    ['title eq "x" junk', 14, 'expected and, or or the end of the filter'],
    ['title eq "x"junk', 13, 'expected and, or or the end of the filter'],
    ['title eq "x" or', 16, 'expected title or tag'],
    ['title eq "x" and or tag eq "y"', 18, 'expected title or tag'],
    ['title eq "x" xor tag eq "y"', 14, 'expected and, or or the end of the filter'],
    ['title co "a" "b"', 14, 'expected and, or or the end of the filter'],
    ['title eq "a" or title eq "b" junk"', 30, 'expected and, or or the end of the filter'],
    ['title eq "x")', 13, 'unmatched )'],
    ['(title eq "x"', 14, 'expected )'],
    ['(title eq "x" or tag eq "y"', 28, 'expected )'],
    ['()', 2, 'expected title or tag'],
    [String.raw`title eq "\x"`, 11, String.raw`invalid escape: use \" \\ \/ \b \f \n \r \t or \uXXXX`],
    [String.raw`title eq "\u12"`, 11, String.raw`invalid escape: use \" \\ \/ \b \f \n \r \t or \uXXXX`],
    [String.raw`title eq "x\"`, 10, 'the value has no closing quote'],
    ['title eq "two\nlines"', 14, 'a control character in a value must be escaped'],
    ['title eq "tab\there"', 14, 'a control character in a value must be escaped'],
  ])('refuses %j at character %i: %s', (raw, at, reason) => {
    expectInvalid(() => parseItemFilter(raw), itemError(raw.trim(), at, reason));
  });

  it('refuses parentheses nested deeper than 8 and more than 32 comparisons', () => {
    const deep = `${'('.repeat(9)}title eq "x"${')'.repeat(9)}`;
    expectInvalid(() => parseItemFilter(deep), itemError(deep, 9, 'parentheses nested deeper than 8'));
    expect(parseItemFilter(`${'('.repeat(8)}title eq "x"${')'.repeat(8)}`)).toEqual(title('x'));
    // Far deeper than any stack could take: still a 400.
    expect(() => parseItemFilter('('.repeat(100_000))).toThrow(/nested deeper than 8/);
    const many = (n: number) => Array.from({ length: n }, (_, i) => `tag eq "${i}"`).join(' or ');
    expect(parseItemFilter(many(32))).toEqual({ any: Array.from({ length: 32 }, (_, i) => tag(String(i))) });
    expectInvalid(
      () => parseItemFilter(many(33)),
      itemError(`${many(33).slice(0, 60)}…`, many(33).lastIndexOf('tag') + 1, 'more than 32 comparisons'),
    );
  });

  it('echoes at most 60 characters of the filter, trimmed and quoted', () => {
    const raw = `  title ne "${'a'.repeat(100)}"`;
    expectInvalid(
      () => parseItemFilter(raw),
      itemError(`${raw.trim().slice(0, 60)}…`, 7, 'title takes eq or co'),
    );
    // Cut by code points, so an emoji is never split into a lone surrogate.
    const emoji = `foo eq "${'😀'.repeat(80)}"`;
    expectInvalid(
      () => parseItemFilter(emoji),
      itemError(`foo eq "${'😀'.repeat(52)}…`, 1, 'expected title or tag'),
    );
  });

  it('escapes what could forge or disguise a log line: control, line and direction characters', () => {
    expectInvalid(
      () => parseItemFilter('title\u0000eq x\n'),
      `Invalid filter "title\\u0000eq x" at character 1: expected title or tag ${ITEM_FORMS}`,
    );
    const message = invalidMessage(() =>
      parseItemFilter('foo eq "\r\n{"level":50} \u2028 \u2029 \u0085 \u202e \u200f \u2066"'),
    );
    expect(message).toBe(
      'Invalid filter "foo eq \\"\\r\\n{\\"level\\":50} \\u2028 \\u2029 \\u0085 \\u202e \\u200f \\u2066\\""' +
        ` at character 1: expected title or tag ${ITEM_FORMS}`,
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  });

  it('gives back any title, JSON-escaped, exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (value) => {
        expect(parseItemFilter(`title eq ${JSON.stringify(value)}`, { plusIsSpace: false })).toEqual(
          title(value),
        );
        expect(parseItemFilter(`title co ${JSON.stringify(value)}`, { plusIsSpace: false })).toEqual(
          title(value, 'co'),
        );
      }),
    );
  });

  it('gives back any title the JS SDK sends unescaped, if it has no ", \\ or control character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }).filter(unescaped), (value) => {
        expect(parseItemFilter(`title eq "${value}"`)).toEqual(title(value));
      }),
    );
  });

  it('gives back any title the Go SDK encodes with + for spaces', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }).filter(unescaped), (value) => {
        const sent = `title eq "${value}"`.replaceAll(' ', '+');
        expect(parseItemFilter(sent)).toEqual(title(value));
      }),
    );
  });

  it('never fails with anything but a 400', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 100 }),
          fc
            .array(
              fc.constantFrom('title', 'tag', 'name', 'eq', 'co', 'and', 'or', '(', ')', '"', '\\', ' ', 'x'),
            )
            .map((parts) => parts.join('')),
        ),
        (raw) => {
          for (const parse of [parseItemFilter, parseVaultFilter]) {
            try {
              parse(raw);
            } catch (error) {
              expect((error as { code?: string }).code).toBe('invalid_input');
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('parseVaultFilter', () => {
  it('treats an absent or blank filter as no filter', () => {
    expect(parseVaultFilter(undefined)).toBeUndefined();
    expect(parseVaultFilter(' ')).toBeUndefined();
  });

  it('accepts name eq (the spec) and title eq (every real client), both as name', () => {
    expect(parseVaultFilter('name eq "Prod"')).toEqual(name('Prod'));
    expect(parseVaultFilter('title eq "Prod"')).toEqual(name('Prod'));
    expect(parseVaultFilter('TITLE eq "My Vault"')).toEqual(name('My Vault'));
    expect(parseVaultFilter('Name EQ "x"')).toEqual(name('x'));
    expect(parseVaultFilter('name eq "a" or title eq "b"')).toEqual({ any: [name('a'), name('b')] });
  });

  it('decodes +, reads escapes, and takes unescaped inner quotes literally', () => {
    expect(parseVaultFilter('title+eq+"Team+"A""')).toEqual(name('Team "A"'));
    expect(parseVaultFilter(String.raw`name eq "Team \"A\""`)).toEqual(name('Team "A"'));
  });

  it.each([
    ['title co "x"', 7, 'title takes eq'],
    ['tag eq "x"', 1, 'expected name or title'],
    ['name ne "x"', 6, 'name takes eq'],
    ['name eq x', 9, 'expected a value in double quotes'],
    ['name eq "', 9, 'the value has no closing quote'],
    ['name eq "a" junk', 13, 'expected and, or or the end of the filter'],
  ])('refuses %j at character %i: %s', (raw, at, reason) => {
    expectInvalid(() => parseVaultFilter(raw), vaultError(raw, at, reason));
  });

  it('gives back any name, JSON-escaped, exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (value) => {
        const quoted = JSON.stringify(value);
        expect(parseVaultFilter(`title eq ${quoted}`, { plusIsSpace: false })).toEqual(name(value));
        expect(parseVaultFilter(`name eq ${quoted}`, { plusIsSpace: false })).toEqual(name(value));
      }),
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

  it('and needs every comparison, or any one', () => {
    expect(matchesItem(filter('title co "prod" and tag eq "Team A"'), item)).toBe(true);
    expect(matchesItem(filter('title co "prod" and tag eq "staging"'), item)).toBe(false);
    expect(matchesItem(filter('title eq "nope" or tag eq "prod"'), item)).toBe(true);
    expect(matchesItem(filter('title eq "nope" or tag eq "nope"'), item)).toBe(false);
    expect(matchesItem(filter('(title eq "nope" or tag eq "prod") and title co "base"'), item)).toBe(true);
    expect(matchesItem(filter('title eq "nope" or tag eq "prod" and title co "nope"'), item)).toBe(false);
  });

  it('a title eq filter built from any title matches that title and no other', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 50 }),
        fc.string({ maxLength: 50 }),
        (value, other) => {
          const parsed = parseItemFilter(`title eq ${JSON.stringify(value)}`, {
            plusIsSpace: false,
          }) as ItemFilter;
          expect(matchesItem(parsed, { title: value, tags: [] })).toBe(true);
          expect(matchesItem(parsed, { title: other, tags: [] })).toBe(other === value);
        },
      ),
    );
  });
});

describe('matchesVault', () => {
  it('matches a name exactly, any of several with or', () => {
    const either = parseVaultFilter('name eq "Prod" or name eq "Staging"') as VaultFilter;
    expect(matchesVault(either, { name: 'Staging' })).toBe(true);
    expect(matchesVault(either, { name: 'Dev' })).toBe(false);
  });

  it('matches the name exactly', () => {
    const byName = parseVaultFilter('title eq "Prod"');
    if (byName === undefined) throw new Error('expected a filter');
    expect(matchesVault(byName, { name: 'Prod' })).toBe(true);
    expect(matchesVault(byName, { name: 'prod' })).toBe(false);
    expect(matchesVault(byName, { name: 'Production' })).toBe(false);
  });
});
