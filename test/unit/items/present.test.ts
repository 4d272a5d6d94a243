import { describe, expect, it } from 'vitest';
import { buildItemContent, parseItemInput } from '../../../src/domain/items/input.js';
import { fileContentPath, toFullItem, toItemSummary } from '../../../src/domain/items/present.js';
import type { FileMeta, ItemContent, ItemMeta } from '../../../src/domain/items/types.js';

const VAULT = 'vvvvvvvvvvvvvvvvvvvvvvvvvv';
const ITEM = 'iiiiiiiiiiiiiiiiiiiiiiiiii';
const meta: ItemMeta = {
  id: ITEM,
  vaultId: VAULT,
  version: 4,
  createdAt: '2024-05-01T10:00:00.000Z',
  updatedAt: '2024-05-02T11:30:00.000Z',
  lastEditedBy: 'token:abc',
};
const OTP_URI = 'otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8';

const content: ItemContent = {
  overview: {
    title: 'Prod DB',
    category: 'DATABASE',
    urls: [{ href: 'https://db.example', label: 'console', primary: true }, { href: 'db.internal' }],
    tags: ['prod', 'db'],
    favorite: true,
  },
  details: {
    sections: [{ id: 'net', label: 'Network' }, { id: 'unlabelled' }],
    fields: [
      { id: 'username', type: 'STRING', purpose: 'USERNAME', label: 'username', value: 'admin' },
      {
        id: 'password',
        type: 'CONCEALED',
        purpose: 'PASSWORD',
        label: 'password',
        value: 'x9!',
        entropy: 202.09,
      },
      { id: 'host', type: 'STRING', purpose: '', label: 'host', value: 'db1', sectionId: 'net' },
      { id: 'otp', type: 'OTP', purpose: '', label: 'one-time password', value: OTP_URI },
      { id: 'blankotp', type: 'OTP', purpose: '', label: 'not set up', value: '' },
    ],
  },
};

const files: FileMeta[] = [
  { id: 'f1', itemId: ITEM, name: 'cert.pem', size: 1200, createdAt: '2024-05-01T10:00:00.000Z' },
  {
    id: 'f2',
    itemId: ITEM,
    name: 'key.pem',
    size: 64,
    sectionId: 'net',
    createdAt: '2024-05-01T10:00:00.000Z',
  },
];

describe('toItemSummary', () => {
  it('has the Connect summary shape, vault id included', () => {
    expect(toItemSummary(meta, content.overview)).toEqual({
      id: ITEM,
      title: 'Prod DB',
      vault: { id: VAULT },
      category: 'DATABASE',
      urls: [{ label: 'console', primary: true, href: 'https://db.example' }, { href: 'db.internal' }],
      favorite: true,
      tags: ['prod', 'db'],
      version: 4,
      createdAt: '2024-05-01T10:00:00.000Z',
      updatedAt: '2024-05-02T11:30:00.000Z',
      lastEditedBy: 'token:abc',
    });
  });

  it('omits urls when there are none but always has tags', () => {
    const summary = toItemSummary(meta, { ...content.overview, urls: [], tags: [] });
    expect(summary).not.toHaveProperty('urls');
    expect(summary.tags).toEqual([]);
  });

  it('does not share arrays with the stored overview', () => {
    const summary = toItemSummary(meta, content.overview);
    summary.tags.push('changed');
    expect(content.overview.tags).toEqual(['prod', 'db']);
  });
});

describe('toFullItem', () => {
  it('adds sections, fields (with OTP codes) and files', () => {
    expect(toFullItem(meta, content, files, 59_000)).toEqual({
      ...toItemSummary(meta, content.overview),
      sections: [{ id: 'net', label: 'Network' }, { id: 'unlabelled' }],
      fields: [
        { id: 'username', type: 'STRING', purpose: 'USERNAME', label: 'username', value: 'admin' },
        {
          id: 'password',
          type: 'CONCEALED',
          purpose: 'PASSWORD',
          label: 'password',
          value: 'x9!',
          entropy: 202.09,
        },
        { id: 'host', type: 'STRING', label: 'host', value: 'db1', section: { id: 'net' } },
        { id: 'otp', type: 'OTP', label: 'one-time password', value: OTP_URI, totp: '94287082' },
        { id: 'blankotp', type: 'OTP', label: 'not set up', value: '' },
      ],
      files: [
        {
          id: 'f1',
          name: 'cert.pem',
          size: 1200,
          content_path: `/v1/vaults/${VAULT}/items/${ITEM}/files/f1/content`,
        },
        {
          id: 'f2',
          name: 'key.pem',
          size: 64,
          content_path: `/v1/vaults/${VAULT}/items/${ITEM}/files/f2/content`,
          section: { id: 'net' },
        },
      ],
    });
  });

  it('omits purpose when empty and files when there are none', () => {
    const item = toFullItem(meta, content, [], 0);
    expect(item).not.toHaveProperty('files');
    expect(item.fields[2]).not.toHaveProperty('purpose');
  });

  it('computes the OTP code for the instant given', () => {
    expect(toFullItem(meta, content, [], 1111111109_000).fields[3]?.totp).toBe('07081804');
  });

  it('still returns an item whose stored OTP value no longer parses, without a code', () => {
    const broken: ItemContent = {
      ...content,
      details: {
        sections: [],
        fields: [{ id: 'o', type: 'OTP', purpose: '', label: '', value: 'not-otp!' }],
      },
    };
    expect(toFullItem(meta, broken, [], 0).fields).toEqual([
      { id: 'o', type: 'OTP', label: '', value: 'not-otp!' },
    ]);
  });

  it('builds absolute content paths', () => {
    expect(fileContentPath('v', 'i', 'f')).toBe('/v1/vaults/v/items/i/files/f/content');
  });

  it('round-trips: what a client PUTs back unchanged rebuilds the same content', () => {
    const created = buildItemContent(
      parseItemInput({
        title: 'Round trip',
        category: 'LOGIN',
        sections: [{ label: 'More' }],
        fields: [
          { purpose: 'USERNAME', value: 'alice' },
          { purpose: 'PASSWORD', type: 'CONCEALED', generate: true },
          { type: 'OTP', value: OTP_URI, label: 'otp' },
        ],
      }),
      {},
    );
    const sectionId = created.details.sections[0]?.id;
    // What an SDK sends back: the JSON it received, plus one new field in the existing section.
    const echoed = JSON.parse(JSON.stringify(toFullItem(meta, created, files, Date.now())));
    echoed.fields.push({ label: 'in section', section: { id: sectionId } });
    const withSection = buildItemContent(parseItemInput(echoed), { previous: created.details });
    // The echoed body (with version, dates, totp, entropy, files) is accepted; ids and entropy survive.
    expect(withSection.details.fields.slice(0, 3)).toEqual(created.details.fields);
    expect(withSection.details.sections).toEqual(created.details.sections);
    expect(withSection.overview).toEqual(created.overview);
    expect(withSection.details.fields[3]?.sectionId).toBe(sectionId);
  });
});
