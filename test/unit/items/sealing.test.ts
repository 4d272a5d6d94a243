import { describe, expect, it } from 'vitest';
import { aad, newDataKey, sealJson } from '../../../src/crypto/envelope.js';
import {
  LAYOUT,
  openItem,
  openOverview,
  openServedJson,
  sealItem,
} from '../../../src/domain/items/sealing.js';
import { toServed } from '../../../src/domain/items/served.js';
import type { ItemContent } from '../../../src/domain/items/types.js';

const key = newDataKey();
const place = { accountId: 'acc', vaultId: 'vault', itemId: 'item', version: 3 };
const content: ItemContent = {
  overview: { title: 'db', category: 'DATABASE', urls: [], tags: ['prod'], favorite: false },
  details: {
    sections: [],
    fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', label: 'password', value: 'hunter2' }],
  },
};

/** A version as the first layout stored it: overview and details sealed apart. */
const apart = () => ({
  overview: sealJson(key, content.overview, aad.item('acc', 'vault', 'item', 3, 'overview')),
  content: sealJson(key, content.details, aad.item('acc', 'vault', 'item', 3, 'details')),
  layout: LAYOUT.apart,
});

/** A version as the second layout stored it: overview and details as one value. */
const together = () => ({
  overview: sealJson(key, content.overview, aad.item('acc', 'vault', 'item', 3, 'overview')),
  content: sealJson(key, content, aad.item('acc', 'vault', 'item', 3, 'content')),
  layout: LAYOUT.together,
});

const servedJson = JSON.stringify(toServed(content));

const integrityFailure = { code: 'integrity_error', message: 'Integrity check failed for item item' };

describe('item sealing', () => {
  it('seals the content in its served shape, and the overview alone for lists', () => {
    const sealed = sealItem(key, place, content);
    expect(sealed.layout).toBe(LAYOUT.served);
    expect(openItem(key, place, sealed)).toEqual(content);
    expect(openServedJson(key, place, sealed).toString('utf8')).toBe(servedJson);
    expect(openOverview(key, place, sealed.overview)).toEqual(content.overview);
  });

  it('opens versions stored in the earlier layouts, as content and as served JSON', () => {
    for (const sealed of [apart(), together()]) {
      expect(openItem(key, place, sealed)).toEqual(content);
      expect(openServedJson(key, place, sealed).toString('utf8')).toBe(servedJson);
    }
  });

  it('fails closed when the layout flag does not match what was sealed', () => {
    const versions = [sealItem(key, place, content), together(), apart()];
    for (const sealed of versions) {
      for (const layout of Object.values(LAYOUT).filter((l) => l !== sealed.layout)) {
        expect(() => openItem(key, place, { ...sealed, layout })).toThrow(
          expect.objectContaining(integrityFailure),
        );
        expect(() => openServedJson(key, place, { ...sealed, layout })).toThrow(
          expect.objectContaining(integrityFailure),
        );
      }
    }
  });

  it('fails closed on a layout it does not know', () => {
    for (const layout of [0, 4]) {
      expect(() => openItem(key, place, { ...sealItem(key, place, content), layout })).toThrow(
        expect.objectContaining(integrityFailure),
      );
      expect(() => openServedJson(key, place, { ...sealItem(key, place, content), layout })).toThrow(
        expect.objectContaining(integrityFailure),
      );
    }
  });

  it('binds the content to its version: another version number does not open it', () => {
    const sealed = sealItem(key, place, content);
    expect(() => openItem(key, { ...place, version: 4 }, sealed)).toThrow(
      expect.objectContaining(integrityFailure),
    );
    expect(() => openServedJson(key, { ...place, version: 4 }, sealed)).toThrow(
      expect.objectContaining(integrityFailure),
    );
  });
});
