import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ID_PATTERN } from '../../../src/crypto/ids.js';
import { buildItemContent, parseItemInput } from '../../../src/domain/items/input.js';
import type { ItemDetails } from '../../../src/domain/items/types.js';
import { expectInvalid, invalidMessage } from './helpers.js';

/** Parses and builds, as a create route does. */
const create = (body: Record<string, unknown>) =>
  buildItemContent(parseItemInput({ title: 'T', ...body }), {});
const replace = (body: Record<string, unknown>, previous?: ItemDetails) =>
  buildItemContent(parseItemInput({ title: 'T', ...body }), { keepCategory: 'CUSTOM', previous });
const fieldsOf = (body: Record<string, unknown>) => create(body).details.fields;
const oneField = (field: Record<string, unknown>) => fieldsOf({ fields: [field] })[0];

const OTP_URI = 'otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('buildItemContent: overview', () => {
  it('applies defaults: LOGIN, not favorite, no urls, tags or sections', () => {
    expect(create({})).toEqual({
      overview: { title: 'T', category: 'LOGIN', urls: [], tags: [], favorite: false },
      details: { sections: [], fields: [] },
    });
  });

  it('de-duplicates tags, keeping the first occurrence order', () => {
    expect(create({ tags: ['b', 'a', 'b', 'c', 'a'] }).overview.tags).toEqual(['b', 'a', 'c']);
  });

  it('keeps url labels and primary flags only when set', () => {
    const urls = create({
      urls: [
        { href: 'https://a', label: 'site', primary: true },
        { href: 'b.example', label: '', primary: false },
      ],
    }).overview.urls;
    expect(urls).toEqual([{ href: 'https://a', label: 'site', primary: true }, { href: 'b.example' }]);
  });

  it('refuses CUSTOM and DOCUMENT on create; a replace keeps only the category the item has', () => {
    const refusal =
      'category: CUSTOM and DOCUMENT items cannot be created through the API, and no item can be changed into one';
    for (const category of ['CUSTOM', 'DOCUMENT']) {
      expectInvalid(() => create({ category }), refusal);
    }
    // `replace` here is an item that is CUSTOM already.
    expect(replace({ category: 'CUSTOM' }).overview.category).toBe('CUSTOM');
    expectInvalid(() => replace({ category: 'DOCUMENT' }), refusal);
    expect(create({ category: 'API_CREDENTIAL' }).overview.category).toBe('API_CREDENTIAL');
  });

  it('refuses content over 1 MiB serialized', () => {
    const fields = Array.from({ length: 17 }, () => ({ value: 'v'.repeat(64 * 1024) }));
    const message = invalidMessage(() => create({ fields }));
    expect(message).toMatch(/^item: too large, \d+ bytes serialized; the limit is 1048576 \(1 MiB\)$/);
    expect(() => create({ fields: fields.slice(0, 15) })).not.toThrow();
  });
});

describe('buildItemContent: sections', () => {
  it('keeps client ids and mints ids for the others (empty counts as absent)', () => {
    const sections = create({ sections: [{ id: 'Section_abc', label: 'A' }, { label: 'B' }, { id: '' }] })
      .details.sections;
    expect(sections[0]).toEqual({ id: 'Section_abc', label: 'A' });
    expect(sections[1]?.id).toMatch(ID_PATTERN);
    expect(sections[1]?.label).toBe('B');
    expect(sections[2]).toEqual({ id: expect.stringMatching(ID_PATTERN) });
    expect(sections[1]?.id).not.toBe(sections[2]?.id);
  });

  it('refuses duplicate section ids', () => {
    expectInvalid(
      () => create({ sections: [{ id: 's1' }, { id: 's2' }, { id: 's1' }] }),
      'sections[2].id: "s1" is already used by sections[0]',
    );
  });
});

describe('buildItemContent: fields', () => {
  it('defaults type, purpose, label and value', () => {
    expect(oneField({})).toEqual({
      id: expect.stringMatching(ID_PATTERN),
      type: 'STRING',
      purpose: '',
      label: '',
      value: '',
    });
    expect(oneField({ id: '', type: '', label: 'host', value: 'db' })).toEqual({
      id: expect.stringMatching(ID_PATTERN),
      type: 'STRING',
      purpose: '',
      label: 'host',
      value: 'db',
    });
  });

  it('gives built-in purposes the ids and labels 1Password uses', () => {
    const fields = fieldsOf({
      fields: [
        { purpose: 'USERNAME', value: 'alice' },
        { purpose: 'PASSWORD', type: 'CONCEALED', value: 'pw', label: '' },
        { purpose: 'NOTES', value: 'line 1\nline 2' },
      ],
    });
    expect(fields.map(({ id, label, purpose }) => ({ id, label, purpose }))).toEqual([
      { id: 'username', label: 'username', purpose: 'USERNAME' },
      { id: 'password', label: 'password', purpose: 'PASSWORD' },
      { id: 'notesPlain', label: 'notesPlain', purpose: 'NOTES' },
    ]);
  });

  it('keeps client ids and labels on built-in purposes', () => {
    expect(oneField({ id: 'login', purpose: 'USERNAME', label: 'Login name' })).toMatchObject({
      id: 'login',
      label: 'Login name',
    });
  });

  it('mints an id when the built-in one is taken by another field', () => {
    const fields = fieldsOf({ fields: [{ purpose: 'USERNAME' }, { id: 'username', label: 'old' }] });
    expect(fields[0]?.id).toMatch(ID_PATTERN);
    expect(fields[1]?.id).toBe('username');
  });

  it('keeps client field ids and refuses duplicates', () => {
    expect(fieldsOf({ fields: [{ id: 'a' }, { id: 'b' }] }).map((f) => f.id)).toEqual(['a', 'b']);
    expectInvalid(
      () => create({ fields: [{ id: 'a' }, { id: 'b' }, { id: 'a' }] }),
      'fields[2].id: "a" is already used by fields[0]',
    );
  });

  it('allows one field per built-in purpose', () => {
    expectInvalid(
      () =>
        create({
          fields: [{ purpose: 'PASSWORD' }, { purpose: '' }, { purpose: '' }, { purpose: 'PASSWORD' }],
        }),
      'fields[3].purpose: only one field may be PASSWORD, and fields[0] already is',
    );
  });

  it('links fields to sections of the same item', () => {
    const content = create({
      sections: [{ id: 'net' }],
      fields: [{ label: 'host', section: { id: 'net', label: 'x' } }],
    });
    expect(content.details.fields[0]?.sectionId).toBe('net');
    expect(oneField({ section: { id: '' } })?.sectionId).toBeUndefined();
  });

  it('refuses a reference to a section the item does not have, naming the section, not the label', () => {
    expectInvalid(
      () =>
        create({
          sections: [{ id: 'net' }],
          fields: [{}, {}, { label: 'API key', section: { id: 'Section_x' } }],
        }),
      'fields[2].section.id: names section "Section_x", which this item does not have',
    );
    expectInvalid(
      () => create({ fields: [{ section: { id: 'net' } }] }),
      'fields[0].section.id: names section "net", which this item does not have',
    );
  });
});

describe('buildItemContent: generated values', () => {
  it('generates from the default recipe', () => {
    const field = oneField({ purpose: 'PASSWORD', type: 'CONCEALED', generate: true });
    expect(field?.value).toHaveLength(32);
    expect(field?.entropy).toBe(202.09);
  });

  it('generates from the given recipe', () => {
    const field = oneField({
      type: 'CONCEALED',
      generate: true,
      recipe: { length: 12, characterSets: ['DIGITS'], excludeCharacters: '' },
    });
    expect(field?.value).toMatch(/^\d{12}$/);
    expect(field?.entropy).toBe(39.86);
  });

  it('refuses a value together with generate', () => {
    expectInvalid(
      () => create({ fields: [{ type: 'CONCEALED', generate: true, value: 'mine' }] }),
      'fields[0]: send either a value or "generate": true, not both (the value must be empty to generate)',
    );
    expect(oneField({ type: 'CONCEALED', generate: true, value: '' })?.value).toHaveLength(32);
  });

  it('generates only STRING and CONCEALED values', () => {
    expectInvalid(
      () => create({ fields: [{ type: 'DATE', generate: true }] }),
      'fields[0].generate: only STRING and CONCEALED fields can be generated, this field is DATE',
    );
  });

  it('reports recipe problems at the field', () => {
    expectInvalid(
      () =>
        create({
          fields: [
            {},
            { generate: true, recipe: { characterSets: ['DIGITS'], excludeCharacters: '0123456789' } },
          ],
        }),
      'fields[1].recipe.excludeCharacters: excludes every character of DIGITS; drop DIGITS from characterSets or exclude fewer characters',
    );
  });

  it('ignores a recipe without generate, and entropy echoed by the client', () => {
    const field = oneField({ type: 'CONCEALED', value: 'typed', recipe: { length: 5 }, entropy: 99 });
    expect(field).toEqual({
      id: expect.any(String),
      type: 'CONCEALED',
      purpose: '',
      label: '',
      value: 'typed',
    });
  });

  it('keeps the entropy of a generated value that comes back unchanged on replace', () => {
    const previous = create({ fields: [{ id: 'pw', type: 'CONCEALED', generate: true }] }).details;
    const generated = previous.fields[0];
    const same = replace({ fields: [{ id: 'pw', type: 'CONCEALED', value: generated?.value }] }, previous);
    expect(same.details.fields[0]?.entropy).toBe(generated?.entropy);
    const changed = replace({ fields: [{ id: 'pw', type: 'CONCEALED', value: 'typed' }] }, previous);
    expect(changed.details.fields[0]).not.toHaveProperty('entropy');
    const otherId = replace(
      { fields: [{ id: 'other', type: 'CONCEALED', value: generated?.value }] },
      previous,
    );
    expect(otherId.details.fields[0]).not.toHaveProperty('entropy');
  });

  it('regenerates when replace asks for it again', () => {
    const previous = create({ fields: [{ id: 'pw', type: 'CONCEALED', generate: true }] }).details;
    const again = replace({ fields: [{ id: 'pw', type: 'CONCEALED', generate: true }] }, previous);
    expect(again.details.fields[0]?.value).not.toBe(previous.fields[0]?.value);
  });
});

describe('buildItemContent: values by type', () => {
  const valueError = (type: string, value: string) =>
    invalidMessage(() => create({ fields: [{}, {}, { type, value }] }));
  const accepts = (type: string, value: string) => expect(oneField({ type, value })?.value).toBe(value);

  it('accepts an empty value for every type', () => {
    for (const type of ['STRING', 'EMAIL', 'CONCEALED', 'URL', 'OTP', 'DATE', 'MONTH_YEAR', 'MENU'])
      accepts(type, '');
  });

  it('checks DATE against the calendar', () => {
    accepts('DATE', '2024-02-29');
    accepts('DATE', '2000-02-29');
    accepts('DATE', '2023-12-31');
    expect(valueError('DATE', '2024-13-01')).toBe(
      'fields[2].value: DATE fields take YYYY-MM-DD (no such day in the calendar)',
    );
    expect(valueError('DATE', '2023-02-29')).toBe(
      'fields[2].value: DATE fields take YYYY-MM-DD (no such day in the calendar)',
    );
    expect(valueError('DATE', '1900-02-29')).toContain('(no such day in the calendar)');
    expect(valueError('DATE', '2024-04-31')).toContain('(no such day in the calendar)');
    expect(valueError('DATE', '2024-00-10')).toContain('(no such day in the calendar)');
    expect(valueError('DATE', '2024-1-01')).toBe('fields[2].value: DATE fields take YYYY-MM-DD');
    expect(valueError('DATE', '2024-01-01T00:00:00Z')).toBe('fields[2].value: DATE fields take YYYY-MM-DD');
  });

  it('checks MONTH_YEAR as YYYYMM or YYYY/MM', () => {
    accepts('MONTH_YEAR', '202402');
    accepts('MONTH_YEAR', '2024/12');
    const message = 'fields[2].value: MONTH_YEAR fields take YYYYMM or YYYY/MM with month 01-12';
    for (const bad of ['202413', '2024/00', '2024-02', '02/2024'])
      expect(valueError('MONTH_YEAR', bad)).toBe(message);
  });

  it('checks EMAIL lightly', () => {
    accepts('EMAIL', 'a@b');
    accepts('EMAIL', 'alice+tag@example.co.uk');
    const message = 'fields[2].value: EMAIL fields take an address with one @ and text on both sides';
    for (const bad of ['alice', '@example.com', 'alice@', 'a@b@c'])
      expect(valueError('EMAIL', bad)).toBe(message);
  });

  it('checks URL with the WHATWG parser', () => {
    accepts('URL', 'https://example.com/path?q=1');
    accepts('URL', 'ssh://host:22');
    expect(valueError('URL', 'example.com')).toBe(
      'fields[2].value: URL fields take an absolute URL such as https://example.com',
    );
  });

  it('checks OTP values', () => {
    accepts('OTP', OTP_URI);
    accepts('OTP', 'JBSWY3DPEHPK3PXP');
    expect(valueError('OTP', 'otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=0')).toMatch(
      /^fields\[2\]\.value: only time-based codes are supported/,
    );
  });

  it('leaves STRING, CONCEALED and MENU free', () => {
    accepts('STRING', 'anything at all');
    accepts('CONCEALED', 'p@ss\nword');
    accepts('MENU', 'option');
  });

  it('never quotes a value, short or long, secret or not', () => {
    for (const bad of ['nope', `2024-01-01${'x'.repeat(40)}`]) {
      for (const type of ['DATE', 'EMAIL', 'URL', 'MONTH_YEAR'])
        expect(valueError(type, bad)).not.toContain(bad);
    }
  });

  it('does not quote values of PASSWORD-purpose fields', () => {
    expectInvalid(
      () => create({ fields: [{ purpose: 'PASSWORD', type: 'DATE', value: 'hunter2' }] }),
      'fields[0].value: DATE fields take YYYY-MM-DD',
    );
  });
});

describe('secret values never appear in error messages', () => {
  const marker = 'Kq7Zp';
  /** Random text around a marker that no error text contains; NUL is allowed to make it invalid too. */
  const secret = fc
    .tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }))
    .map(([a, b]) => `${a}${marker}${b}`);
  /** Ways to make an item invalid somewhere other than the secret field. */
  const otherProblem = fc.constantFrom<Record<string, unknown>>(
    { fields: [{ type: 'DATE', value: '2023-02-29' }] },
    { fields: [{ id: 'password' }] },
    { fields: [{ section: { id: 'missing' } }] },
    { fields: [{ purpose: 'PASSWORD' }] },
    { fields: [{ type: 'FOO' }] },
    { fields: [{ value: 'a\u0000b' }] },
    { category: 'CUSTOM' },
    { title: ' ' },
    { tags: [''] },
    { unknown: 1 },
  );

  // A PASSWORD-purpose field is secret whatever its type, so its own DATE/EMAIL/URL errors must not quote it.
  const secretType = fc.constantFrom('CONCEALED', 'OTP', 'DATE', 'MONTH_YEAR', 'EMAIL', 'URL');

  it('for secret values, whether they or another part of the item is invalid', () => {
    fc.assert(
      fc.property(secret, otherProblem, secretType, (value, problem, type) => {
        const extraFields = (problem.fields as unknown[] | undefined) ?? [];
        const body = {
          title: 'T',
          ...problem,
          fields: [{ id: 'password', purpose: 'PASSWORD', type, value }, ...extraFields],
        };
        const message = invalidMessage(() => buildItemContent(parseItemInput(body), {}));
        expect(message).not.toContain(marker);
      }),
      { numRuns: 300 },
    );
  });

  it('for a CONCEALED value that breaks the size or NUL rule itself', () => {
    fc.assert(
      fc.property(secret, (value) => {
        for (const bad of [`${value}\u0000`, value.padEnd(70_000, 'x')]) {
          const message = invalidMessage(() =>
            parseItemInput({ title: 'T', fields: [{ type: 'CONCEALED', value: bad }] }),
          );
          expect(message).not.toContain(marker);
        }
      }),
      { numRuns: 50 },
    );
  });
});
