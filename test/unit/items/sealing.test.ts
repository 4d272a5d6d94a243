import { describe, expect, it } from 'vitest';
import { aad, newDataKey, sealJson } from '../../../src/crypto/envelope.js';
import { LAYOUT, openItem, openOverview, sealItem } from '../../../src/domain/items/sealing.js';
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

/** The version as the older layout stored it: overview and details sealed apart. */
const apart = () => ({
  overview: sealJson(key, content.overview, aad.item('acc', 'vault', 'item', 3, 'overview')),
  content: sealJson(key, content.details, aad.item('acc', 'vault', 'item', 3, 'details')),
  layout: LAYOUT.apart,
});

const integrityFailure = { code: 'integrity_error', message: 'Integrity check failed for item item' };

describe('item sealing', () => {
  it('seals overview and details together, and the overview alone for lists', () => {
    const sealed = sealItem(key, place, content);
    expect(sealed.layout).toBe(LAYOUT.together);
    expect(openItem(key, place, sealed)).toEqual(content);
    expect(openOverview(key, place, sealed.overview)).toEqual(content.overview);
  });

  it('opens versions stored with overview and details apart', () => {
    expect(openItem(key, place, apart())).toEqual(content);
  });

  it('fails closed when the layout flag does not match what was sealed', () => {
    const together = sealItem(key, place, content);
    expect(() => openItem(key, place, { ...together, layout: LAYOUT.apart })).toThrow(
      expect.objectContaining(integrityFailure),
    );
    expect(() => openItem(key, place, { ...apart(), layout: LAYOUT.together })).toThrow(
      expect.objectContaining(integrityFailure),
    );
  });

  it('fails closed on a layout it does not know', () => {
    for (const layout of [0, 3]) {
      expect(() => openItem(key, place, { ...sealItem(key, place, content), layout })).toThrow(
        expect.objectContaining(integrityFailure),
      );
    }
  });

  it('binds the content to its version: another version number does not open it', () => {
    const sealed = sealItem(key, place, content);
    expect(() => openItem(key, { ...place, version: 4 }, sealed)).toThrow(
      expect.objectContaining(integrityFailure),
    );
  });
});
