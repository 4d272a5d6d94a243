import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dynamicValue,
  isScopeToken,
  parseScopeName,
  parseScopeParam,
  quoted,
  scopeMatches,
} from '../../../src/domain/oauth/scope-names.js';
import { expectInvalid, invalidMessage } from '../items/helpers.js';

const ALLOWED =
  'a scope name is 1–100 characters: segments separated by `:`, each made of letters, digits, ' +
  '`.`, `_` and `-`, and at most one segment that is exactly `*` for a dynamic scope such as `vault:*:read`';

/** A fixed segment: what a `*` may be filled with. */
const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);
/** A valid fixed (non-dynamic) scope name. */
const fixedName = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join(':'));
/** A valid dynamic scope name, its segments and the index of its `*`. */
const dynamicName = fc
  .tuple(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.nat())
  .map(([fixed, at]) => {
    const star = at % (fixed.length + 1);
    const segments = [...fixed.slice(0, star), '*', ...fixed.slice(star)];
    return { name: segments.join(':'), segments, star };
  });

describe('parseScopeName', () => {
  it.each([
    ['openid', false],
    ['vault:read', false],
    ['vault:*:read', true],
    ['*:read', true],
    ['vault:*', true],
    ['A.b_c-9:x', false],
    ['a', false],
    [`${'a'.repeat(50)}:${'b'.repeat(49)}`, false],
  ])('accepts %s', (name, dynamic) => {
    expect(parseScopeName(name)).toEqual({ name, dynamic });
  });

  it.each([
    ['', 'it is empty'],
    ['a'.repeat(101), 'it is 101 characters long'],
    ['vault::read', 'it has an empty segment (a leading, trailing or doubled `:`)'],
    [':read', 'it has an empty segment (a leading, trailing or doubled `:`)'],
    ['vault:', 'it has an empty segment (a leading, trailing or doubled `:`)'],
    ['Vault Read', 'segment `Vault Read` contains ` `, which is not allowed'],
    ['vault:réad', 'segment `réad` contains `é`, which is not allowed'],
    ['vault/read', 'segment `vault/read` contains `/`, which is not allowed'],
    ['vault:\nread', 'segment `\\u000aread` contains `\\u000a`, which is not allowed'],
    ['vault*:read', '`*` must be a whole segment, not part of `vault*`'],
    ['vault:*:*', 'it has more than one `*` segment'],
    ['*', 'a dynamic scope needs a fixed segment besides `*`'],
  ])('refuses %j, naming it and what is allowed', (name, problem) => {
    expectInvalid(() => parseScopeName(name), `Invalid scope name ${quoted(name)}: ${problem}; ${ALLOWED}`);
  });

  it('names the scope in the message, cut to a readable length', () => {
    const message = invalidMessage(() => parseScopeName('x'.repeat(500)));
    expect(message).toContain(`\`${'x'.repeat(80)}…\``);
    expect(message).not.toContain('x'.repeat(81));
  });

  it('accepts every name built from valid segments (property)', () => {
    fc.assert(
      fc.property(fixedName, (name) => {
        fc.pre(name.length <= 100);
        expect(parseScopeName(name)).toEqual({ name, dynamic: false });
      }),
    );
  });
});

describe('isScopeToken', () => {
  it.each(['openid', 'Vault:Read', '!', '~', 'https://api.example.com/read', '#[]^{}'])('accepts %j', (s) => {
    expect(isScopeToken(s)).toBe(true);
  });

  it.each(['', ' ', 'a b', '"', 'a\\b', '\t', 'é', '\u007f', '\u0000'])('refuses %j', (s) => {
    expect(isScopeToken(s)).toBe(false);
  });

  it('is exactly RFC 6749 §3.3: %x21 / %x23-5B / %x5D-7E, one or more (property)', () => {
    const allowed = (c: number) => c === 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 8 }), (s) => {
        const expected = s.length > 0 && [...s].every((c) => allowed(c.codePointAt(0) ?? 0));
        expect(isScopeToken(s)).toBe(expected);
      }),
    );
  });
});

describe('parseScopeParam', () => {
  it('splits on single spaces and keeps the first occurrence of each scope', () => {
    expect(parseScopeParam('openid')).toEqual(['openid']);
    expect(parseScopeParam('openid vault:read')).toEqual(['openid', 'vault:read']);
    expect(parseScopeParam('b a b c a')).toEqual(['b', 'a', 'c']);
  });

  it('keeps unknown and mis-cased scopes: refusing them is the catalog’s job', () => {
    expect(parseScopeParam('Vault:Read vault:read')).toEqual(['Vault:Read', 'vault:read']);
  });

  it('refuses an empty parameter', () => {
    expectInvalid(
      () => parseScopeParam(''),
      'The scope parameter is empty: omit it, or list scopes separated by single spaces',
    );
  });

  it.each(['a  b', ' a', 'a ', ' '])('refuses the empty scope in %j', (param) => {
    expectInvalid(
      () => parseScopeParam(param),
      `The scope parameter ${quoted(param)} has an empty scope: separate scopes with single spaces, ` +
        'with none at the start or the end',
    );
  });

  it.each([
    ['openid a\tb', 'a\tb'],
    ['a "b"', '"b"'],
    ['a\\b c', 'a\\b'],
    ['vault:réad', 'vault:réad'],
  ])('refuses %j, naming the bad scope', (param, bad) => {
    expectInvalid(
      () => parseScopeParam(param),
      `Invalid scope ${quoted(bad)} in the scope parameter: a scope is printable ASCII other than space, ` +
        '`"` and `\\` (RFC 6749 §3.3)',
    );
  });

  it('round-trips any list of scope tokens (property)', () => {
    const token = fc.stringMatching(/^[\x21\x23-\x5b\x5d-\x7e]{1,10}$/);
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 6 }), (tokens) => {
        expect(parseScopeParam(tokens.join(' '))).toEqual([...new Set(tokens)]);
      }),
    );
  });
});

describe('scopeMatches', () => {
  it.each([
    ['vault:read', 'vault:read', true],
    ['vault:read', 'Vault:Read', false], // the seed's lockout: case matters
    ['Vault:Read', 'vault:read', false],
    ['vault:read', 'vault:read ', false],
    ['vault:read', 'vault:reads', false],
    ['vault:*:read', 'vault:8f3k2:read', true],
    ['vault:*:read', 'vault:A.b_c-9:read', true],
    ['vault:*:read', 'vault:*:read', true], // a dynamic scope matches itself literally
    ['vault:*:read', 'vault::read', false],
    ['vault:*:read', 'vault:a:b:read', false], // `*` never spans a `:`
    ['vault:*:read', 'vault:a b:read', false],
    ['vault:*:read', 'vault:a/b:read', false],
    ['vault:*:read', 'vault:abc:write', false],
    ['vault:*:read', 'vault:abc:read:x', false],
    ['vault:*:read', 'Vault:abc:read', false],
    ['vault:*:read', 'vault:abc', false],
    ['vault:*', 'vault:abc', true],
    ['*:read', 'x:read', true],
    [`vault:*:read`, `vault:${'a'.repeat(100)}:read`, true],
    [`vault:*:read`, `vault:${'a'.repeat(101)}:read`, false],
    ['vault:read', 'vault:*', false], // a requested `*` is not a wildcard
    ['*', 'openid', false], // an invalid registered name never widens matching…
    ['a:*:*', 'a:b:c', false],
    ['*', '*', true], // …beyond equality
  ])('%j registered, %j requested → %s', (registered, requested, expected) => {
    expect(scopeMatches(registered, requested)).toBe(expected);
  });

  it('matches every valid name with itself (property)', () => {
    fc.assert(fc.property(fixedName, (name) => scopeMatches(name, name)));
    fc.assert(fc.property(dynamicName, ({ name }) => scopeMatches(name, name)));
  });

  it('matches every concrete instance of a dynamic scope, and reads its value back (property)', () => {
    fc.assert(
      fc.property(dynamicName, segment, ({ name, segments, star }, value) => {
        const instance = segments.map((s, i) => (i === star ? value : s)).join(':');
        expect(scopeMatches(name, instance)).toBe(true);
        expect(dynamicValue(name, instance)).toBe(value);
      }),
    );
  });

  it('does not match when one fixed segment changes (property)', () => {
    fc.assert(
      fc.property(dynamicName, segment, fc.nat(), ({ name, segments, star }, value, at) => {
        const fixed = segments.map((_, i) => i).filter((i) => i !== star);
        const changed = fixed[at % fixed.length] ?? 0;
        fc.pre(segments[changed] !== value);
        const instance = segments.map((s, i) => (i === star ? 'v' : i === changed ? value : s)).join(':');
        expect(scopeMatches(name, instance)).toBe(false);
      }),
    );
  });

  it('matches a fixed name only with itself (property)', () => {
    fc.assert(
      fc.property(fixedName, fc.string(), (name, other) => {
        expect(scopeMatches(name, other)).toBe(name === other);
      }),
    );
  });
});

describe('dynamicValue', () => {
  it('is the concrete value that filled `*`', () => {
    expect(dynamicValue('vault:*:read', 'vault:8f3k2:read')).toBe('8f3k2');
    expect(dynamicValue('*:read', 'x:read')).toBe('x');
  });

  it('is undefined for the dynamic scope itself, a non-instance or a fixed scope', () => {
    expect(dynamicValue('vault:*:read', 'vault:*:read')).toBeUndefined();
    expect(dynamicValue('vault:*:read', 'vault:abc:write')).toBeUndefined();
    expect(dynamicValue('vault:read', 'vault:read')).toBeUndefined();
  });
});

describe('quoted', () => {
  it('escapes control characters and line separators so that messages stay one line', () => {
    expect(quoted('a\r\nb\u2028c\u0085')).toBe('`a\\u000d\\u000ab\\u2028c\\u0085`');
  });
});
