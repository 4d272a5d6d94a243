import { describe, expect, it } from 'vitest';
import { narrowedItem, narrowedSummary } from '../../../src/domain/items/item-narrowing.js';
import type { ConnectFullItem } from '../../../src/domain/items/present.js';

const item: ConnectFullItem = {
  id: 'i1',
  title: 'DB login',
  vault: { id: 'v1' },
  category: 'LOGIN',
  urls: [{ href: 'https://db.example' }],
  favorite: true,
  tags: ['prod'],
  version: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  lastEditedBy: 'u1',
  sections: [{ id: 's1', label: 'Connection' }, { id: 's2', label: 'Break glass' }, { id: 's3' }],
  fields: [
    { id: 'username', type: 'STRING', purpose: 'USERNAME', label: 'Username', value: 'alice' },
    { id: 'otp', type: 'OTP', label: 'Code', value: 'otpauth://x', totp: '123456', section: { id: 's1' } },
    { id: 'recovery', type: 'CONCEALED', label: 'Recovery', value: 'r', section: { id: 's2' } },
    { id: 'notesPlain', type: 'STRING', purpose: 'NOTES', label: 'notesPlain', value: 'note' },
  ],
  files: [{ id: 'f1', name: 'dump.sql', size: 4, content_path: '/v1/…' }],
};

describe('narrowedItem', () => {
  it('keeps the named fields as they are and the sections they are in; nothing else of the content', () => {
    expect(narrowedItem(item, new Set(['otp', 'username', 'absent']))).toEqual({
      id: 'i1',
      title: 'DB login',
      vault: { id: 'v1' },
      category: 'LOGIN',
      favorite: true,
      tags: [],
      version: 3,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-02T00:00:00.000Z',
      lastEditedBy: 'u1',
      sections: [{ id: 's1', label: 'Connection' }],
      fields: [item.fields[0], item.fields[1]],
    });
  });

  it('a field id matches exactly: no label, no other case', () => {
    expect(narrowedItem(item, new Set(['Username', 'Recovery'])).fields).toEqual([]);
  });

  it('a summary loses its URLs and tags', () => {
    const summary = narrowedSummary(item);
    expect(summary).not.toHaveProperty('urls');
    expect(summary).not.toHaveProperty('fields');
    expect(summary.tags).toEqual([]);
  });
});
