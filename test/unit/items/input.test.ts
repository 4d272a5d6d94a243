import { describe, expect, it } from 'vitest';
import { parseItemInput } from '../../../src/domain/items/input.js';
import { CATEGORIES } from '../../../src/domain/items/types.js';
import { expectInvalid } from './helpers.js';

const TYPES = 'STRING, EMAIL, CONCEALED, URL, OTP, DATE, MONTH_YEAR, MENU';
const SINGLE_LINE =
  'must not contain control characters (U+0000-U+001F, U+007F) or line separators (U+2028, U+2029)';

describe('parseItemInput', () => {
  it('accepts a minimal item', () => {
    expect(parseItemInput({ title: 'Database' })).toEqual({ title: 'Database' });
  });

  it('accepts the body the JS SDK ItemBuilder sends', () => {
    const body = {
      vault: { id: 'v1' },
      title: 'Example',
      category: 'LOGIN',
      urls: [{ href: 'https://example.com', primary: true, label: 'website' }],
      tags: ['a', 'b'],
      favorite: false,
      sections: [{ id: 'Section_a1b2c3', label: 'Extra' }],
      fields: [
        { type: 'STRING', purpose: 'USERNAME', label: 'username', value: 'alice', generate: false },
        {
          type: 'CONCEALED',
          purpose: 'PASSWORD',
          label: 'password',
          generate: true,
          recipe: { length: 20, characterSets: ['LETTERS', 'DIGITS'], excludeCharacters: '' },
        },
        {
          type: 'STRING',
          purpose: '',
          label: 'host',
          value: 'db',
          generate: false,
          section: { id: 'Section_a1b2c3' },
        },
      ],
    };
    expect(parseItemInput(body)).toEqual(body);
  });

  it('treats the Go SDK zero values and nulls as absent', () => {
    const parsed = parseItemInput({
      id: '',
      title: 'x',
      category: '',
      version: 0,
      urls: null,
      createdAt: '0001-01-01T00:00:00Z',
      updatedAt: '0001-01-01T00:00:00Z',
      fields: [
        { id: '', type: '', purpose: '', label: null, value: null, section: { id: '' }, recipe: null },
      ],
      sections: [{ id: '', label: null }],
    });
    expect(parsed.id).toBeUndefined();
    expect(parsed.category).toBeUndefined();
    expect(parsed.version).toBeUndefined();
    expect(parsed.urls).toBeUndefined();
    expect(parsed.fields).toEqual([{ purpose: '', section: {} }]);
    expect(parsed.sections).toEqual([{}]);
  });

  it('accepts and ignores the read-only attributes clients echo on PUT', () => {
    const parsed = parseItemInput({
      id: 'abcdefghijklmnopqrstuvwxyz',
      title: 'x',
      version: 3,
      trashed: false,
      state: 'ARCHIVED',
      lastEditedBy: 'someone',
      createdAt: '2024-01-01T00:00:00Z',
      updatedAt: '2024-01-01T00:00:00Z',
      files: [{ id: 'f', name: 'a.txt', size: 1, content_path: '/v1/…' }],
      fields: [{ id: 'password', type: 'CONCEALED', value: 's3cret', entropy: 120.5, totp: '123456' }],
    });
    expect(parsed.version).toBe(3);
    expect(parsed.id).toBe('abcdefghijklmnopqrstuvwxyz');
  });

  it('refuses unknown keys, naming them', () => {
    expectInvalid(() => parseItemInput({ title: 'x', titel: 'y' }), 'unknown field "titel"');
    expectInvalid(
      () => parseItemInput({ title: 'x', fields: [{ lable: 'y' }] }),
      'fields.0: unknown field "lable"',
    );
    expectInvalid(
      () => parseItemInput({ title: 'x', fields: [{ generate: true, recipe: { size: 3 } }] }),
      'fields.0.recipe: unknown field "size"',
    );
  });

  it('refuses a body that is not an object', () => {
    expectInvalid(() => parseItemInput([]), 'expected object, got array');
    expectInvalid(() => parseItemInput(undefined), 'required (expected object)');
  });

  describe('title', () => {
    it('is required and must not be blank', () => {
      expectInvalid(() => parseItemInput({}), 'title: required (expected string)');
      expectInvalid(() => parseItemInput({ title: '' }), 'title: must not be empty or only whitespace');
      expectInvalid(() => parseItemInput({ title: ' \t ' }), 'title: must not be empty or only whitespace');
    });

    it('is kept as given, surrounding spaces included', () => {
      expect(parseItemInput({ title: '  spaced  ' }).title).toBe('  spaced  ');
    });

    it('refuses control characters and line separators', () => {
      for (const bad of ['a\nb', 'a\u0000b', 'a\u001bb', 'a\u2028b', 'a\u2029b']) {
        expectInvalid(() => parseItemInput({ title: bad }), `title: ${SINGLE_LINE}`);
      }
    });

    it('is at most 1000 characters', () => {
      expect(parseItemInput({ title: 'x'.repeat(1000) }).title).toHaveLength(1000);
      expectInvalid(
        () => parseItemInput({ title: 'x'.repeat(1001) }),
        'title: must be at most 1000 characters long',
      );
    });
  });

  it('checks category and field enums, listing the allowed values', () => {
    expectInvalid(
      () => parseItemInput({ title: 'x', category: 'Login' }),
      `category: must be one of ${CATEGORIES.join(', ')}`,
    );
    expectInvalid(
      () => parseItemInput({ title: 'x', fields: [{ type: 'FOO' }] }),
      `fields.0.type: must be one of ${TYPES}`,
    );
    expectInvalid(
      () => parseItemInput({ title: 'x', fields: [{ purpose: 'OWNER' }] }),
      'fields.0.purpose: must be one of "", USERNAME, PASSWORD, NOTES',
    );
  });

  describe('tags', () => {
    it('are non-empty single-line strings of at most 256 characters, at most 100 of them', () => {
      expectInvalid(
        () => parseItemInput({ title: 'x', tags: ['ok', ''] }),
        'tags.1: must not be empty or only whitespace',
      );
      expectInvalid(() => parseItemInput({ title: 'x', tags: ['a\tb'] }), `tags.0: ${SINGLE_LINE}`);
      expectInvalid(
        () => parseItemInput({ title: 'x', tags: ['t'.repeat(257)] }),
        'tags.0: must be at most 256 characters long',
      );
      const many = Array.from({ length: 101 }, (_, i) => `t${i}`);
      expectInvalid(() => parseItemInput({ title: 'x', tags: many }), 'tags: must have at most 100 items');
      expect(parseItemInput({ title: 'x', tags: many.slice(0, 100) }).tags).toHaveLength(100);
    });
  });

  describe('urls', () => {
    it('need a non-empty href of at most 2048 characters', () => {
      expectInvalid(
        () => parseItemInput({ title: 'x', urls: [{ label: 'a' }] }),
        'urls.0.href: required (expected string)',
      );
      expectInvalid(
        () => parseItemInput({ title: 'x', urls: [{ href: '' }] }),
        'urls.0.href: must not be empty',
      );
      expectInvalid(
        () => parseItemInput({ title: 'x', urls: [{ href: `https://x/${'a'.repeat(2039)}` }] }),
        'urls.0.href: must be at most 2048 characters long',
      );
      expectInvalid(
        () => parseItemInput({ title: 'x', urls: [{ href: 'https://x', primary: 'yes' }] }),
        'urls.0.primary: expected boolean, got string',
      );
    });
  });

  describe('values', () => {
    it('may hold newlines and tabs but not U+0000', () => {
      expect(
        parseItemInput({ title: 'x', fields: [{ value: 'line 1\nline 2\tend' }] }).fields?.[0]?.value,
      ).toBe('line 1\nline 2\tend');
      expectInvalid(
        () => parseItemInput({ title: 'x', fields: [{ type: 'CONCEALED', value: 'hunter2\u0000' }] }),
        'fields.0.value: must not contain U+0000',
      );
    });

    it('are at most 64 KiB of UTF-8', () => {
      expect(() => parseItemInput({ title: 'x', fields: [{ value: 'a'.repeat(65536) }] })).not.toThrow();
      const message = 'fields.0.value: must be at most 65536 bytes (64 KiB) of UTF-8';
      expectInvalid(() => parseItemInput({ title: 'x', fields: [{ value: 'a'.repeat(65537) }] }), message);
      // 32 769 two-byte characters: fewer than 65 536 UTF-16 units, more than 65 536 bytes.
      expectInvalid(() => parseItemInput({ title: 'x', fields: [{ value: 'é'.repeat(32769) }] }), message);
    });

    it('are never echoed in type errors', () => {
      expectInvalid(
        () => parseItemInput({ title: 'x', fields: [{ value: 123456 }] }),
        'fields.0.value: expected string, got number',
      );
    });
  });

  it('limits sections and fields', () => {
    const sections = Array.from({ length: 101 }, () => ({}));
    expectInvalid(() => parseItemInput({ title: 'x', sections }), 'sections: must have at most 100 items');
    const fields = Array.from({ length: 1001 }, () => ({}));
    expectInvalid(() => parseItemInput({ title: 'x', fields }), 'fields: must have at most 1000 items');
  });

  it('checks version, favorite and ids', () => {
    expectInvalid(() => parseItemInput({ title: 'x', version: -1 }), 'version: must be at least 1');
    expectInvalid(
      () => parseItemInput({ title: 'x', version: 1.5 }),
      'version: expected integer, got number',
    );
    expectInvalid(
      () => parseItemInput({ title: 'x', favorite: 'yes' }),
      'favorite: expected boolean, got string',
    );
    expectInvalid(
      () => parseItemInput({ title: 'x', fields: [{ id: 'a\nb' }] }),
      `fields.0.id: ${SINGLE_LINE}`,
    );
    expectInvalid(
      () => parseItemInput({ title: 'x', sections: [{ id: 's'.repeat(257) }] }),
      'sections.0.id: must be at most 256 characters long',
    );
  });
});
