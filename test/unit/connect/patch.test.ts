import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyItemPatch as applyChecked, parseItemPatch } from '../../../src/domain/connect/patch.js';
import { parseItemInput } from '../../../src/domain/items/input.js';
import type { ConnectFullItem } from '../../../src/domain/items/present.js';
import { expectInvalid } from '../items/helpers.js';

const ITEM_ID = 'iiiiiiiiiiiiiiiiiiiiiiiiii';
const VAULT_ID = 'vvvvvvvvvvvvvvvvvvvvvvvvvv';
const ACCEPTED =
  'accepted: /, /title, /category, /favorite, /tags, /tags/{index}, /urls, /urls/{index}, ' +
  '/sections, /sections/{id}, /sections/{id}/label, /fields, /fields/{id} and ' +
  '/fields/{id}/{label|value|type|purpose|section}';

/** Both steps, as the item service runs them: check the operations, then apply them. */
const applyItemPatch = (current: ConnectFullItem, raw: unknown) => applyChecked(current, parseItemPatch(raw));

/** A full item as `toFullItem` returns it: no `urls` (empty), an OTP field with a `totp`. */
function makeItem(): ConnectFullItem {
  return {
    id: ITEM_ID,
    title: 'Prod DB',
    vault: { id: VAULT_ID },
    category: 'DATABASE',
    favorite: false,
    tags: ['prod', 'db'],
    version: 3,
    createdAt: '2024-05-01T10:00:00.000Z',
    updatedAt: '2024-05-02T11:30:00.000Z',
    lastEditedBy: 'token:abc',
    sections: [{ id: 'net', label: 'Network' }],
    fields: [
      { id: 'username', type: 'STRING', purpose: 'USERNAME', label: 'username', value: 'admin' },
      { id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', label: 'password', value: 'pw', entropy: 80 },
      { id: 'otp', type: 'OTP', label: 'one-time', value: 'otpauth://totp/x?secret=AAAA', totp: '123456' },
      { id: 'host', type: 'STRING', label: 'host', value: 'db.internal', section: { id: 'net' } },
    ],
  };
}
const item = makeItem();

/** Applies `ops` to a fresh item. */
const patch = (...ops: unknown[]) => applyItemPatch(makeItem(), ops) as ConnectFullItem;
/** The fresh item with `change` applied to a copy, to state expected results in full. */
const expected = (change: (draft: ConnectFullItem) => void) => {
  const draft = makeItem();
  change(draft);
  return draft;
};
const fieldsOf = (result: unknown) => (result as ConnectFullItem).fields;

describe('applyItemPatch: the operations list', () => {
  it('returns the item unchanged for an empty patch', () => {
    expect(applyItemPatch(item, [])).toEqual(makeItem());
  });

  it.each([
    [{}, 'patch: expected array, got object'],
    [null, 'patch: expected array, got null'],
    ['[]', 'patch: expected array, got string'],
    [[{ op: 'move', path: '/title', from: '/x' }], 'patch[0].op: must be one of add, remove, replace'],
    [[{ op: 'replace', value: 'x' }], 'patch[0].path: required (expected string)'],
    [[{ op: 'replace', path: 5, value: 'x' }], 'patch[0].path: expected string, got number'],
    [[{ path: '/title', value: 'x' }], 'patch[0].op: must be one of add, remove, replace'],
    [
      [
        { op: 'replace', path: '/title', value: 'x' },
        { op: 'replace', path: '/title', value: 'x', extra: 1 },
      ],
      'patch[1]: unknown field "extra"',
    ],
    [['replace'], 'patch[0]: expected object, got string'],
  ])('rejects the malformed body %j', (body, message) => {
    expectInvalid(() => applyItemPatch(item, body), message);
  });

  it('accepts at most 1000 operations', () => {
    const op = { op: 'replace', path: '/favorite', value: true };
    expect((applyItemPatch(item, Array(1000).fill(op)) as ConnectFullItem).favorite).toBe(true);
    expectInvalid(() => applyItemPatch(item, Array(1001).fill(op)), 'patch: must have at most 1000 items');
  });

  it('never echoes a value in validation messages', () => {
    expectInvalid(
      () => applyItemPatch(item, [{ op: 'replace', path: 3, value: 'hunter2' }]),
      'patch[0].path: expected string, got number',
    );
  });

  it.each(['add', 'replace'])('%s needs a value', (op) => {
    expectInvalid(
      () => patch({ op: 'remove', path: '/tags/0' }, { op, path: '/title' }),
      `patch[1]: ${op} needs a value`,
    );
  });

  it('accepts null as a value (RFC 6902) and leaves its validation to parseItemInput', () => {
    const result = patch({ op: 'replace', path: '/fields/username/label', value: null });
    expect(fieldsOf(result)[0]).toEqual({ ...item.fields[0], label: null });
  });

  it('applies operations in order, each seeing the result of the previous', () => {
    const result = patch(
      { op: 'add', path: '/fields', value: { id: 'new', label: 'n', value: 'v' } },
      { op: 'replace', path: '/fields/new/label', value: 'renamed' },
      { op: 'remove', path: '/fields/username' },
    );
    expect(fieldsOf(result).map((f) => [f.id, f.label])).toEqual([
      ['password', 'password'],
      ['otp', 'one-time'],
      ['host', 'host'],
      ['new', 'renamed'],
    ]);
  });

  it('stops at the first failing operation', () => {
    expectInvalid(
      () => patch({ op: 'replace', path: '/title', value: 'ok' }, { op: 'remove', path: '/fields/nope' }),
      'patch[1]: no field "nope" in the item',
    );
  });
});

describe('applyItemPatch: paths', () => {
  it.each([['', '/']])('treats %j and %j as the whole item', (...paths) => {
    for (const path of paths) {
      const value = { title: 'New', category: 'LOGIN', fields: [{ label: 'x', value: 'y' }] };
      expect(applyItemPatch(item, [{ op: 'replace', path, value }])).toEqual({
        ...value,
        id: ITEM_ID,
        vault: { id: VAULT_ID },
      });
    }
  });

  it('keeps the id and vault from the item when the whole item is replaced', () => {
    const value = { title: 'New', id: 'other', vault: { id: 'elsewhere' }, version: 3 };
    expect(patch({ op: 'add', path: '/', value })).toEqual({
      title: 'New',
      id: ITEM_ID,
      vault: { id: VAULT_ID },
      version: 3,
    });
  });

  it('refuses to remove the whole item or to replace it with a non-object', () => {
    expectInvalid(
      () => patch({ op: 'remove', path: '/' }),
      'patch[0]: the whole item cannot be removed; delete it with DELETE on the item instead',
    );
    expectInvalid(
      () => patch({ op: 'replace', path: '/', value: [] }),
      'patch[0]: the value for "/" must be an item object, got array',
    );
  });

  it.each(['add', 'replace'])('%s /title, /category and /favorite set them', (op) => {
    const result = patch(
      { op, path: '/title', value: 'Staging DB' },
      { op, path: '/category', value: 'SERVER' },
      { op, path: '/favorite', value: true },
    );
    expect(result).toEqual(
      expected((draft) => {
        draft.title = 'Staging DB';
        draft.category = 'SERVER';
        draft.favorite = true;
      }),
    );
  });

  it('remove /favorite unsets it; /title and /category cannot be removed', () => {
    expect(applyItemPatch({ ...makeItem(), favorite: true }, [{ op: 'remove', path: '/favorite' }])).toEqual(
      makeItem(),
    );
    expectInvalid(
      () => patch({ op: 'remove', path: '/title' }),
      'patch[0]: "/title" cannot be removed; replace it instead',
    );
    expectInvalid(
      () => patch({ op: 'remove', path: '/category' }),
      'patch[0]: "/category" cannot be removed; replace it instead',
    );
  });

  describe('/tags and /urls (by index)', () => {
    it('add, replace and remove the whole list', () => {
      expect(patch({ op: 'add', path: '/tags', value: ['a'] }).tags).toEqual(['a']);
      expect(patch({ op: 'replace', path: '/tags', value: [] }).tags).toEqual([]);
      expect(patch({ op: 'remove', path: '/tags' })).toEqual(expected((draft) => (draft.tags = [])));
      const urls = [{ href: 'https://db.example', primary: true }];
      expect(patch({ op: 'replace', path: '/urls', value: urls })).toEqual(
        expected((draft) => (draft.urls = urls)),
      );
      expect(patch({ op: 'remove', path: '/urls' }).urls).toEqual([]);
    });

    it('add inserts at an index or appends with -', () => {
      expect(patch({ op: 'add', path: '/tags/0', value: 'first' }).tags).toEqual(['first', 'prod', 'db']);
      expect(patch({ op: 'add', path: '/tags/1', value: 'mid' }).tags).toEqual(['prod', 'mid', 'db']);
      expect(patch({ op: 'add', path: '/tags/2', value: 'end' }).tags).toEqual(['prod', 'db', 'end']);
      expect(patch({ op: 'add', path: '/tags/-', value: 'last' }).tags).toEqual(['prod', 'db', 'last']);
    });

    it('replace and remove by index', () => {
      expect(patch({ op: 'replace', path: '/tags/1', value: 'database' }).tags).toEqual(['prod', 'database']);
      expect(patch({ op: 'remove', path: '/tags/0' }).tags).toEqual(['db']);
    });

    it('creates the urls list Connect leaves out when it is empty', () => {
      const url = { href: 'https://db.example' };
      expect(patch({ op: 'add', path: '/urls/-', value: url })).toEqual(
        expected((draft) => (draft.urls = [url])),
      );
      expect(patch({ op: 'add', path: '/urls/0', value: url }).urls).toEqual([url]);
    });

    it('patches urls by index', () => {
      const start = { ...makeItem(), urls: [{ href: 'a' }, { href: 'b' }] };
      expect((applyItemPatch(start, [{ op: 'remove', path: '/urls/0' }]) as ConnectFullItem).urls).toEqual([
        { href: 'b' },
      ]);
      expect(
        (applyItemPatch(start, [{ op: 'replace', path: '/urls/1', value: { href: 'c' } }]) as ConnectFullItem)
          .urls,
      ).toEqual([{ href: 'a' }, { href: 'c' }]);
    });

    it.each([
      [
        { op: 'replace', path: '/tags/2', value: 'x' },
        'patch[0]: no element at index 2 (tags has 2 elements)',
      ],
      [{ op: 'remove', path: '/tags/9' }, 'patch[0]: no element at index 9 (tags has 2 elements)'],
      [{ op: 'remove', path: '/urls/0' }, 'patch[0]: no element at index 0 (urls has 0 elements)'],
      [{ op: 'add', path: '/tags/3', value: 'x' }, 'patch[0]: index 3 is past the end (tags has 2 elements)'],
      [
        { op: 'remove', path: '/tags/-' },
        'patch[0]: "-" (after the last element) can only be used with add, not remove',
      ],
      [
        { op: 'replace', path: '/tags/-', value: 'x' },
        'patch[0]: "-" (after the last element) can only be used with add, not replace',
      ],
      [
        { op: 'remove', path: '/tags/01' },
        'patch[0]: "01" is not an index into tags; use 0, 1, … or - (add at the end)',
      ],
      [
        { op: 'remove', path: '/tags/prod' },
        'patch[0]: "prod" is not an index into tags; use 0, 1, … or - (add at the end)',
      ],
      [
        { op: 'remove', path: '/tags/' },
        'patch[0]: "" is not an index into tags; use 0, 1, … or - (add at the end)',
      ],
      [{ op: 'remove', path: '/tags/0/x' }, `patch[0]: unsupported path "/tags/0/x"; ${ACCEPTED}`],
      [
        { op: 'replace', path: '/urls/0/href', value: 'x' },
        `patch[0]: unsupported path "/urls/0/href"; ${ACCEPTED}`,
      ],
    ])('rejects %j', (op, message) => {
      expectInvalid(() => patch(op), message);
    });

    it('refuses a list value that is not a list before applying anything', () => {
      expectInvalid(
        () =>
          patch({ op: 'replace', path: '/tags', value: 'prod' }, { op: 'add', path: '/tags/-', value: 'x' }),
        'patch[0].value: expected array, got string',
      );
    });
  });

  describe('/fields (by id)', () => {
    it('add /fields appends one field', () => {
      const field = { type: 'STRING', label: 'port', value: '5432' };
      expect(patch({ op: 'add', path: '/fields', value: field })).toEqual(
        expected((draft) => draft.fields.push(field as ConnectFullItem['fields'][number])),
      );
    });

    it('replace /fields replaces the list; remove empties it', () => {
      const fields = [{ label: 'only', value: 'one' }];
      expect(patch({ op: 'replace', path: '/fields', value: fields })).toEqual(
        expected((draft) => (draft.fields = fields as ConnectFullItem['fields'])),
      );
      expect(patch({ op: 'remove', path: '/fields' })).toEqual(expected((draft) => (draft.fields = [])));
    });

    it('replace /fields/{id} sets the whole field, keeping the id from the path', () => {
      const value = { id: 'ignored', type: 'CONCEALED', label: 'Password', value: 'new' };
      expect(patch({ op: 'replace', path: '/fields/password', value })).toEqual(
        expected((draft) => {
          draft.fields[1] = { id: 'password', type: 'CONCEALED', label: 'Password', value: 'new' };
        }),
      );
    });

    it('add /fields/{id} replaces an existing field in place or appends a new one with that id', () => {
      expect(fieldsOf(patch({ op: 'add', path: '/fields/username', value: { value: 'root' } }))[0]).toEqual({
        id: 'username',
        value: 'root',
      });
      expect(patch({ op: 'add', path: '/fields/port', value: { label: 'port', value: '5432' } })).toEqual(
        expected((draft) => draft.fields.push({ id: 'port', label: 'port', value: '5432' } as never)),
      );
    });

    it('remove /fields/{id} deletes the field', () => {
      expect(patch({ op: 'remove', path: '/fields/otp' })).toEqual(
        expected((draft) => draft.fields.splice(2, 1)),
      );
    });

    it.each(['add', 'replace'])('%s /fields/{id}/{attribute} sets label, type, purpose and section', (op) => {
      const result = patch(
        { op, path: '/fields/host/label', value: 'hostname' },
        { op, path: '/fields/host/type', value: 'URL' },
        { op, path: '/fields/host/purpose', value: 'NOTES' },
        { op, path: '/fields/username/section', value: { id: 'net' } },
      );
      expect(result).toEqual(
        expected((draft) => {
          Object.assign(draft.fields[3] ?? {}, { label: 'hostname', type: 'URL', purpose: 'NOTES' });
          Object.assign(draft.fields[0] ?? {}, { section: { id: 'net' } });
        }),
      );
    });

    it('setting a value drops the totp and entropy derived from the old one', () => {
      const result = patch(
        { op: 'replace', path: '/fields/password/value', value: 'changed' },
        { op: 'add', path: '/fields/otp/value', value: 'otpauth://totp/y?secret=BBBB' },
      );
      expect(result).toEqual(
        expected((draft) => {
          draft.fields[1] = {
            id: 'password',
            type: 'CONCEALED',
            purpose: 'PASSWORD',
            label: 'password',
            value: 'changed',
          };
          draft.fields[2] = {
            id: 'otp',
            type: 'OTP',
            label: 'one-time',
            value: 'otpauth://totp/y?secret=BBBB',
          };
        }),
      );
    });

    it('changing the type drops the totp, which only OTP fields have', () => {
      expect(fieldsOf(patch({ op: 'replace', path: '/fields/otp/type', value: 'STRING' }))[2]).toEqual({
        id: 'otp',
        type: 'STRING',
        label: 'one-time',
        value: 'otpauth://totp/x?secret=AAAA',
      });
    });

    it('remove clears label and value to "", and deletes type, purpose and section', () => {
      const result = patch(
        { op: 'remove', path: '/fields/password/value' },
        { op: 'remove', path: '/fields/password/label' },
        { op: 'remove', path: '/fields/password/purpose' },
        { op: 'remove', path: '/fields/host/section' },
        { op: 'remove', path: '/fields/host/type' },
      );
      expect(result).toEqual(
        expected((draft) => {
          draft.fields[1] = { id: 'password', type: 'CONCEALED', label: '', value: '' };
          draft.fields[3] = { id: 'host', label: 'host', value: 'db.internal' } as never;
        }),
      );
    });

    it.each([
      [{ op: 'remove', path: '/fields/abc' }, 'patch[0]: no field "abc" in the item'],
      [{ op: 'replace', path: '/fields/abc', value: {} }, 'patch[0]: no field "abc" in the item'],
      [{ op: 'add', path: '/fields/abc/label', value: 'x' }, 'patch[0]: no field "abc" in the item'],
      [{ op: 'remove', path: '/fields/abc/value' }, 'patch[0]: no field "abc" in the item'],
      [
        { op: 'replace', path: '/fields/password', value: 'hunter2' },
        'patch[0]: the value for "/fields/password" must be a field object, got string',
      ],
      [
        { op: 'add', path: '/fields/new', value: ['x'] },
        'patch[0]: the value for "/fields/new" must be a field object, got array',
      ],
      [
        { op: 'replace', path: '/fields/password/entropy', value: 1 },
        `patch[0]: unsupported path "/fields/password/entropy"; ${ACCEPTED}`,
      ],
      [
        { op: 'replace', path: '/fields/host/section/id', value: 'x' },
        `patch[0]: unsupported path "/fields/host/section/id"; ${ACCEPTED}`,
      ],
      [{ op: 'add', path: '/fields/', value: {} }, `patch[0]: unsupported path "/fields/"; ${ACCEPTED}`],
    ])('rejects %j', (op, message) => {
      expectInvalid(() => patch(op), message);
    });

    it('names the operation that failed', () => {
      expectInvalid(
        () =>
          patch(
            { op: 'replace', path: '/title', value: 'a' },
            { op: 'replace', path: '/favorite', value: true },
            { op: 'remove', path: '/fields/abc' },
          ),
        'patch[2]: no field "abc" in the item',
      );
    });
  });

  describe('/sections (by id)', () => {
    it('add appends, replace replaces the list, remove empties it', () => {
      const section = { id: 'extra', label: 'Extra' };
      expect(patch({ op: 'add', path: '/sections', value: section })).toEqual(
        expected((draft) => draft.sections.push(section)),
      );
      expect(patch({ op: 'replace', path: '/sections', value: [section] }).sections).toEqual([section]);
      expect(patch({ op: 'remove', path: '/sections' }).sections).toEqual([]);
    });

    it('add, replace and remove one section by id', () => {
      expect(patch({ op: 'add', path: '/sections/extra', value: { label: 'Extra' } }).sections).toEqual([
        { id: 'net', label: 'Network' },
        { id: 'extra', label: 'Extra' },
      ]);
      expect(patch({ op: 'replace', path: '/sections/net', value: { label: 'Net' } }).sections).toEqual([
        { id: 'net', label: 'Net' },
      ]);
      expect(patch({ op: 'remove', path: '/sections/net' }).sections).toEqual([]);
    });

    it('sets and removes a section label', () => {
      expect(patch({ op: 'replace', path: '/sections/net/label', value: 'LAN' }).sections).toEqual([
        { id: 'net', label: 'LAN' },
      ]);
      expect(patch({ op: 'remove', path: '/sections/net/label' }).sections).toEqual([{ id: 'net' }]);
    });

    it.each([
      [{ op: 'remove', path: '/sections/nope' }, 'patch[0]: no section "nope" in the item'],
      [
        { op: 'replace', path: '/sections/nope/label', value: 'x' },
        'patch[0]: no section "nope" in the item',
      ],
      [
        { op: 'replace', path: '/sections/net/id', value: 'x' },
        `patch[0]: unsupported path "/sections/net/id"; ${ACCEPTED}`,
      ],
    ])('rejects %j', (op, message) => {
      expectInvalid(() => patch(op), message);
    });
  });

  it.each(['/id', '/vault', '/version', '/createdAt', '/updatedAt', '/lastEditedBy', '/files', '/state'])(
    '%s is read-only',
    (path) => {
      expectInvalid(
        () => patch({ op: 'replace', path, value: 'x' }),
        `patch[0]: ${JSON.stringify(path)} is read-only and cannot be patched`,
      );
    },
  );

  it('treats paths below a read-only attribute as read-only too', () => {
    expectInvalid(
      () => patch({ op: 'replace', path: '/vault/id', value: 'x' }),
      'patch[0]: "/vault" is read-only and cannot be patched',
    );
    expectInvalid(
      () => patch({ op: 'remove', path: '/files/0' }),
      'patch[0]: "/files" is read-only and cannot be patched',
    );
  });

  it.each(['/foo', '/title/x', '/Title', '//', '/favorite/0'])('rejects the unsupported path %j', (path) => {
    expectInvalid(
      () => patch({ op: 'replace', path, value: 'x' }),
      `patch[0]: unsupported path ${JSON.stringify(path)}; ${ACCEPTED}`,
    );
  });

  it('shortens long paths it echoes', () => {
    const path = `/${'x'.repeat(200)}`;
    expectInvalid(
      () => patch({ op: 'remove', path }),
      `patch[0]: unsupported path ${JSON.stringify(`${path.slice(0, 100)}…`)}; ${ACCEPTED}`,
    );
  });
});

describe('applyItemPatch: JSON Pointer (RFC 6901)', () => {
  const start = (): ConnectFullItem => ({
    ...makeItem(),
    fields: [
      { id: 'a/b', type: 'STRING', label: 'slash', value: '1' },
      { id: 'm~n', type: 'STRING', label: 'tilde', value: '2' },
      { id: '~1', type: 'STRING', label: 'literal', value: '3' },
    ],
  });
  const labels = (ops: unknown[]) => fieldsOf(applyItemPatch(start(), ops)).map((field) => field.label);

  it('unescapes ~1 to / and ~0 to ~ in ids', () => {
    expect(labels([{ op: 'replace', path: '/fields/a~1b/label', value: 'A' }])).toEqual([
      'A',
      'tilde',
      'literal',
    ]);
    expect(labels([{ op: 'replace', path: '/fields/m~0n/label', value: 'M' }])).toEqual([
      'slash',
      'M',
      'literal',
    ]);
    // `~01` is `~` then `1`: the literal id "~1", not "/".
    expect(labels([{ op: 'replace', path: '/fields/~01/label', value: 'L' }])).toEqual([
      'slash',
      'tilde',
      'L',
    ]);
  });

  it('does not match an unescaped slash inside an id', () => {
    expectInvalid(
      () => applyItemPatch(start(), [{ op: 'remove', path: '/fields/a/value' }]),
      'patch[0]: no field "a" in the item',
    );
  });

  it.each(['/fields/m~n', '/fields/x~', '/tags~2'])('rejects the invalid escape in %j', (path) => {
    expectInvalid(
      () => applyItemPatch(start(), [{ op: 'remove', path }]),
      `patch[0]: path ${JSON.stringify(path)} has a "~" not followed by 0 or 1; write "~" as ~0 and "/" as ~1`,
    );
  });

  it('rejects a path that does not start with /', () => {
    expectInvalid(
      () => applyItemPatch(start(), [{ op: 'replace', path: 'title', value: 'x' }]),
      'patch[0]: path "title" must start with "/" (a JSON Pointer, RFC 6901)',
    );
  });
});

describe('applyItemPatch: results', () => {
  it('produces bodies parseItemInput accepts', () => {
    const results = [
      applyItemPatch(item, []),
      patch(
        { op: 'replace', path: '/title', value: 'New title' },
        { op: 'add', path: '/tags/-', value: 'new' },
        { op: 'add', path: '/urls/-', value: { href: 'https://db.example', primary: true } },
        { op: 'add', path: '/sections/extra', value: { label: 'Extra' } },
        {
          op: 'add',
          path: '/fields',
          value: { type: 'STRING', label: 'port', value: '5432', section: { id: 'extra' } },
        },
        { op: 'replace', path: '/fields/password/value', value: 'changed' },
        { op: 'remove', path: '/fields/otp' },
      ),
      patch({ op: 'replace', path: '/', value: { title: 'Fresh', category: 'LOGIN' } }),
    ];
    for (const result of results) expect(() => parseItemInput(result)).not.toThrow();
  });

  it('leaves values from the request body untouched when later operations change them', () => {
    const value = { label: 'n', value: 'v' };
    const ops = [
      { op: 'add', path: '/fields/new', value },
      { op: 'replace', path: '/fields/new/label', value: 'changed' },
    ];
    applyItemPatch(item, ops);
    expect(value).toEqual({ label: 'n', value: 'v' });
  });

  it('ends with the last title of any sequence of replace /title', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z][a-z ]{0,30}$/), { minLength: 1, maxLength: 20 }),
        (titles) => {
          const ops = titles.map((value) => ({ op: 'replace', path: '/title', value }));
          const result = applyItemPatch(item, ops) as ConnectFullItem;
          expect(result).toEqual({ ...makeItem(), title: titles.at(-1) });
        },
      ),
    );
  });

  it('never modifies the current item, whether operations succeed or fail', () => {
    const paths = fc.constantFrom(
      '/',
      '/title',
      '/favorite',
      '/category',
      '/tags',
      '/tags/0',
      '/tags/-',
      '/urls/-',
      '/fields',
      '/fields/username',
      '/fields/password/value',
      '/fields/otp/type',
      '/fields/host/section',
      '/fields/nope',
      '/sections',
      '/sections/net',
      '/sections/net/label',
      '/vault',
    );
    const values = fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.record({ id: fc.string(), label: fc.string(), value: fc.string() }),
    );
    const op = fc.record({ op: fc.constantFrom('add', 'remove', 'replace'), path: paths, value: values });
    const frozen = deepFreeze(makeItem());
    fc.assert(
      fc.property(fc.array(op, { maxLength: 8 }), (ops) => {
        try {
          applyItemPatch(frozen, ops);
        } catch (error) {
          // Only client errors are allowed; a TypeError would mean a write to the frozen item.
          expect((error as { code?: string }).code).toBe('invalid_input');
        }
        expect(frozen).toEqual(makeItem());
      }),
    );
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
