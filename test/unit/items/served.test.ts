import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { itemJson, toFullItem } from '../../../src/domain/items/present.js';
import { fromServed, toServed } from '../../../src/domain/items/served.js';
import {
  CATEGORIES,
  FIELD_PURPOSES,
  FIELD_TYPES,
  type FileMeta,
  type ItemContent,
  type ItemField,
  type ItemMeta,
} from '../../../src/domain/items/types.js';

const OTP_URI = 'otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8';

// Any text, quotes, backslashes, JSON look-alikes and non-BMP characters included.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('"type":"OTP"', '{"id":"x"}', '\\', '"', '', 'é 🔑'),
);
const id = fc.stringMatching(/^[a-z0-9]{1,12}$/);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const url = fc.record(
  { label: optional(text), primary: optional(fc.boolean()), href: text },
  { requiredKeys: ['href'] },
);
const field: fc.Arbitrary<ItemField> = fc
  .record({
    id,
    type: fc.constantFrom(...FIELD_TYPES),
    purpose: fc.constantFrom(...FIELD_PURPOSES),
    label: text,
    value: fc.oneof(text, fc.constant(OTP_URI)),
    sectionId: optional(id),
    entropy: optional(fc.integer({ min: 0, max: 100_000 }).map((n) => n / 100)),
  })
  .map(({ sectionId, entropy, ...rest }) => ({
    ...rest,
    ...(sectionId !== undefined ? { sectionId } : {}),
    ...(entropy !== undefined ? { entropy } : {}),
  }));
// What input normalization stores: optional members absent, never undefined; no empty labels.
const content: fc.Arbitrary<ItemContent> = fc.record({
  overview: fc.record({
    title: text,
    category: fc.constantFrom(...CATEGORIES),
    urls: fc.array(url, { maxLength: 3 }).map((urls) => urls.map((u) => JSON.parse(JSON.stringify(u)))),
    tags: fc.array(text, { maxLength: 3 }),
    favorite: fc.boolean(),
  }),
  details: fc.record({
    sections: fc.array(
      fc
        .record({ id, label: optional(text.filter((t) => t !== '')) })
        .map((s) => (s.label === undefined ? { id: s.id } : s)),
      { maxLength: 3 },
    ),
    fields: fc.array(field, { maxLength: 6 }),
  }),
});
const meta: fc.Arbitrary<ItemMeta> = fc.record({
  id: fc.stringMatching(/^[a-z0-9]{26}$/),
  vaultId: fc.stringMatching(/^[a-z0-9]{26}$/),
  version: fc.integer({ min: 1, max: 2 ** 31 }),
  createdAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  updatedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  lastEditedBy: text,
});
const files: fc.Arbitrary<FileMeta[]> = fc.array(
  fc.record({ id, name: text, size: fc.nat(), sectionId: optional(id) }).map(({ sectionId, ...rest }) => ({
    ...rest,
    itemId: 'item',
    createdAt: '2024-05-01T10:00:00.000Z',
    ...(sectionId !== undefined ? { sectionId } : {}),
  })),
  { maxLength: 2 },
);
const now = fc.integer({ min: 0, max: 4_000_000_000_000 });

/** What a version of the served layout holds once decrypted. */
const servedBytes = (c: ItemContent) => Buffer.from(JSON.stringify(toServed(c)), 'utf8');

describe('served content', () => {
  it('round-trips: the stored content comes back from its served JSON unchanged', () => {
    fc.assert(
      fc.property(content, (c) => {
        expect(fromServed(JSON.parse(servedBytes(c).toString('utf8')))).toEqual(c);
      }),
    );
  });

  it('an item read sends exactly the bytes of the full item, OTP codes and files included', () => {
    fc.assert(
      fc.property(meta, content, files, now, (m, c, f, t) => {
        const sent = itemJson(m, servedBytes(c), f, t);
        expect(sent.toString('utf8')).toBe(JSON.stringify(toFullItem(m, c, f, t)));
      }),
      { numRuns: 500 },
    );
  });

  it('computes the code of an OTP field into the read, and leaves other fields as stored', () => {
    const c: ItemContent = {
      overview: { title: 'otp', category: 'LOGIN', urls: [], tags: [], favorite: false },
      details: {
        sections: [],
        fields: [
          { id: 'otp', type: 'OTP', purpose: '', label: 'otp', value: OTP_URI },
          { id: 'note', type: 'STRING', purpose: '', label: '"type":"OTP"', value: 'v' },
        ],
      },
    };
    const m: ItemMeta = {
      id: 'i'.repeat(26),
      vaultId: 'v'.repeat(26),
      version: 2,
      createdAt: '2024-05-01T10:00:00.000Z',
      updatedAt: '2024-05-01T10:00:00.000Z',
      lastEditedBy: 'token:t',
    };
    const read = JSON.parse(itemJson(m, servedBytes(c), [], 59_000).toString('utf8'));
    expect(read.fields).toEqual([
      { id: 'otp', type: 'OTP', label: 'otp', value: OTP_URI, totp: '94287082' },
      { id: 'note', type: 'STRING', label: '"type":"OTP"', value: 'v' },
    ]);
    expect(Object.keys(read)).toEqual([
      'id',
      'title',
      'category',
      'favorite',
      'tags',
      'sections',
      'fields',
      'vault',
      'version',
      'createdAt',
      'updatedAt',
      'lastEditedBy',
    ]);
  });
});
