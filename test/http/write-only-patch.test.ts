import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import type { AuditEvent } from '../../src/storage/ports.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';
import { BATTERY, LARGE_ITEM, leaked, RECEIPT_KEYS, STORED_ITEM } from '../helpers/write-only-battery.js';

/**
 * Issue 15, point 1: a caller without READ learns nothing about an item, whatever it writes.
 * Driven through a Connect server hosted in process (the same operations serve the remote
 * hosting and `/api/v1`; test/e2e/write-only-patch.test.ts runs the battery on all three).
 */
let t: TestApp;
let setup: ReturnType<typeof adminSetup>;
let connect: InjectableConnect;
let vault: string;
let server: string;
let writeOnly: string;
let readWrite: string;

const send = (method: string, url: string, token: string, payload?: unknown) =>
  connect.inject({
    method: method as 'PATCH',
    url,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
const itemUrl = (id: string) => `/v1/vaults/${vault}/items/${id}`;

/** The events recorded after `seq`, oldest first. */
async function eventsAfter(seq: number): Promise<AuditEvent[]> {
  const events = await t.storage.audit.list(t.accountId, { limit: 1000 });
  return events.filter((e) => e.seq > seq).reverse();
}
async function lastSeq(): Promise<number> {
  return (await t.storage.audit.list(t.accountId, { limit: 1 }))[0]?.seq ?? 0;
}

beforeAll(async () => {
  t = await startTestApp();
  setup = adminSetup(t);
  vault = (await setup.vault('v')).id;
  server = (await setup.server([vault])).id;
  writeOnly = (await setup.token(server, [{ vaultId: vault, permissions: ['write'] }])).token;
  readWrite = (await setup.token(server, [{ vaultId: vault, permissions: ['read', 'write'] }])).token;
  connect = await connectAppFor(t, server);
});
afterAll(async () => {
  await connect.close();
  await t.close();
});

describe('the write-only battery', () => {
  it.each(BATTERY)('$name: answers $status, reveals nothing, and is audited against the item', async (c) => {
    const stored = (await setup.item(vault, STORED_ITEM)).id;
    const large = (await setup.item(vault, LARGE_ITEM)).id;
    const id = c.item === 'stored' ? stored : c.item === 'large' ? large : newId();
    const before = await lastSeq();
    const res = await send(c.method, itemUrl(id), writeOnly, c.body);
    expect(res.statusCode, res.body).toBe(c.status);
    expect(leaked(res.body, JSON.stringify(c.body ?? null))).toEqual([]);
    if (c.status === 200) expect(Object.keys(res.json()).sort()).toEqual(RECEIPT_KEYS);
    else expect(Object.keys(res.json()).sort()).toEqual(['message', 'status']);
    if (c.status === 409) {
      expect(res.json().message).toBe(
        'the patch cannot be applied to the current item; a caller without read access is not told why',
      );
    }
    const events = await eventsAfter(before);
    expect(events).toContainEqual(
      expect.objectContaining({
        resourceType: 'ITEM',
        action: c.action,
        itemId: id,
        vaultId: vault,
        result: c.result,
      }),
    );
    // Nothing is recorded against the vault instead of the item (the old "UPDATE VAULT" DENY).
    expect(events.filter((e) => e.resourceType === 'VAULT')).toEqual([]);
    if (c.status !== 200 && c.item !== 'missing') {
      const after = (await send('GET', itemUrl(id), readWrite)).json();
      expect(after.version).toBe(1);
    }
  });

  it('a CREATE that fails or is refused is audited against the vault’s items as a CREATE', async () => {
    const readOnly = (await setup.token(server, [{ vaultId: vault, permissions: ['read'] }])).token;
    const before = await lastSeq();
    const bad = await send('POST', `/v1/vaults/${vault}/items`, writeOnly, {
      title: 'x',
      category: 'CUSTOM',
    });
    expect(bad.statusCode).toBe(400);
    const refused = await send('POST', `/v1/vaults/${vault}/items`, readOnly, { title: 'x' });
    expect(refused.statusCode).toBe(403);
    const events = (await eventsAfter(before)).map((e) => [e.action, e.resourceType, e.result, e.itemId]);
    expect(events).toEqual([
      ['CREATE', 'ITEM', 'FAILURE', null],
      ['CREATE', 'ITEM', 'DENY', null],
    ]);
  });
});

describe('parallel write-only patches', () => {
  it('each lands or answers version_conflict, each is audited, none reveals the item', async () => {
    const id = (await setup.item(vault, STORED_ITEM)).id;
    const before = await lastSeq();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        send('PATCH', itemUrl(id), writeOnly, [{ op: 'replace', path: '/title', value: `parallel ${i}` }]),
      ),
    );
    const ok = answers.filter((r) => r.statusCode === 200);
    const conflicts = answers.filter((r) => r.statusCode === 409);
    expect(ok.length + conflicts.length).toBe(8);
    expect(ok.length).toBeGreaterThan(0);
    for (const r of answers) expect(leaked(r.body, '')).toEqual([]);
    for (const r of conflicts)
      expect(r.json().message).toMatch(/^item \w+ has changed: it is at version \d+/);
    const events = (await eventsAfter(before)).filter((e) => e.itemId === id);
    expect(events.filter((e) => e.result === 'SUCCESS')).toHaveLength(ok.length);
    expect(events.filter((e) => e.result === 'FAILURE')).toHaveLength(conflicts.length);
    expect((await send('GET', itemUrl(id), readWrite)).json().version).toBe(1 + ok.length);
  });
});

describe('a caller with READ is told why, without values', () => {
  it.each([
    [
      [{ op: 'replace', path: '/fields/password/type', value: 'DATE' }],
      'fields[1].value: DATE fields take YYYY-MM-DD',
    ],
    [
      [{ op: 'replace', path: '/fields/zqapifieldid/type', value: 'EMAIL' }],
      'fields[2].value: EMAIL fields take an address with one @ and text on both sides',
    ],
    [[{ op: 'remove', path: '/fields/nope' }], 'patch[0]: no field "nope" in the item'],
    [[{ op: 'add', path: '/tags/7', value: 'x' }], 'patch[0]: index 7 is past the end (tags has 1 element)'],
    [
      [{ op: 'replace', path: '/category', value: 'CUSTOM' }],
      'category: CUSTOM and DOCUMENT items cannot be created through the API, and no item can be changed into one',
    ],
  ])('%j → %s', async (ops, message) => {
    const id = (await setup.item(vault, STORED_ITEM)).id;
    const res = await send('PATCH', itemUrl(id), readWrite, ops);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ status: 400, message });
  });
});

describe('an empty PATCH', () => {
  it("leaves the version alone; records the reader's read and the write-only caller's no-op update", async () => {
    const id = (await setup.item(vault, STORED_ITEM)).id;
    const before = await lastSeq();
    const blind = await send('PATCH', itemUrl(id), writeOnly, []);
    expect(blind.statusCode).toBe(200);
    expect(Object.keys(blind.json()).sort()).toEqual(RECEIPT_KEYS);
    expect(blind.json().version).toBe(1);
    const seen = await send('PATCH', itemUrl(id), readWrite, []);
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toMatchObject({ id, version: 1, title: STORED_ITEM.title });
    const events = await eventsAfter(before);
    // The reader got the item's secrets: that is a read, and recorded as one. The write-only
    // caller learnt the item's version: an update that changed nothing, at that version.
    expect(events.map((e) => [e.action, e.itemId, e.itemVersion, e.result])).toEqual([
      ['UPDATE', id, 1, 'SUCCESS'],
      ['READ', id, 1, 'SUCCESS'],
    ]);
    expect((await t.storage.items.versions(id)).map((v) => v.version)).toEqual([1]);
  });
});

describe('when the audit trail cannot be written', () => {
  it('answers 503 audit_unavailable, with no detail, instead of the 400, 403 or 409', async () => {
    const id = (await setup.item(vault, STORED_ITEM)).id;
    const large = (await setup.item(vault, LARGE_ITEM)).id;
    const raw = new Database(join(t.dir, 'keyhold.db'));
    raw.exec(
      `create trigger audit_down before insert on audit_events begin select raise(abort, 'audit store down'); end`,
    );
    try {
      const cases = BATTERY.filter((c) => c.method === 'PATCH' && c.item !== 'missing');
      for (const c of [...cases, { name: 'empty patch', item: 'stored', body: [] }]) {
        const res = await send('PATCH', itemUrl(c.item === 'large' ? large : id), writeOnly, c.body);
        expect(res.statusCode, c.name).toBe(503);
        expect(res.json()).toEqual({
          status: 503,
          message: 'The audit trail is unavailable; the request was not served',
        });
      }
    } finally {
      raw.exec('drop trigger audit_down');
      raw.close();
    }
    const item = (await send('GET', itemUrl(id), readWrite)).json();
    expect(item.version).toBe(1);
    expect(item.title).toBe(STORED_ITEM.title);
  });
});

describe('file writes', () => {
  const upload = (itemId: string) =>
    connect.inject({
      method: 'POST',
      url: `${itemUrl(itemId)}/files?name=notes.txt`,
      headers: { authorization: `Bearer ${writeOnly}`, 'content-type': 'application/octet-stream' },
      payload: Buffer.from('file bytes'),
    });
  const deleteFile = (itemId: string, fileId: string) =>
    t.app.inject({
      method: 'DELETE',
      url: `/api/admin/vaults/${vault}/items/${itemId}/files/${fileId}`,
      headers: { authorization: `Bearer ${t.token}` },
    });

  it('an upload or a deletion that fails is audited against the item with the action attempted', async () => {
    const id = (await setup.item(vault, STORED_ITEM)).id;
    const missingItem = newId();
    const missingFile = newId();
    const before = await lastSeq();
    expect((await upload(missingItem)).statusCode).toBe(404);
    expect((await deleteFile(id, missingFile)).statusCode).toBe(404);
    expect((await deleteFile(missingItem, missingFile)).statusCode).toBe(404);
    const events = (await eventsAfter(before)).map((e) => [
      e.action,
      e.resourceType,
      e.result,
      e.itemId,
      e.resourceId,
    ]);
    expect(events).toEqual([
      ['CREATE', 'FILE', 'FAILURE', missingItem, null],
      ['DELETE', 'FILE', 'FAILURE', id, missingFile],
      ['DELETE', 'FILE', 'FAILURE', missingItem, missingFile],
    ]);
  });

  it('answers nothing but 503 while the audit trail cannot be written', async () => {
    const id = (await setup.item(vault, STORED_ITEM)).id;
    const raw = new Database(join(t.dir, 'keyhold.db'));
    raw.exec(
      `create trigger audit_down before insert on audit_events begin select raise(abort, 'audit store down'); end`,
    );
    try {
      for (const res of [await upload(newId()), await upload(id), await deleteFile(id, newId())]) {
        expect(res.statusCode).toBe(503);
        expect(res.json().message).toBe('The audit trail is unavailable; the request was not served');
      }
    } finally {
      raw.exec('drop trigger audit_down');
      raw.close();
    }
  });
});

/** Markers that cannot come out of the patch generator below, so any one in an answer leaked. */
const marker = fc.stringMatching(/^[a-z]{10}$/).map((s) => `zq${s}`);
const fieldOf = (type: string, mark: string) =>
  ({
    STRING: mark,
    CONCEALED: mark,
    EMAIL: `${mark}@${mark}.example`,
    URL: `https://${mark}.example/`,
    DATE: '1987-05-12',
    MONTH_YEAR: '1987/05',
    OTP: `otpauth://totp/${mark}?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ`,
  })[type] ?? mark;

const storedItem = fc
  .record({
    title: marker,
    tags: fc.array(marker, { maxLength: 3 }),
    urls: fc.array(fc.record({ href: marker.map((m) => `https://${m}.example/`), label: marker }), {
      maxLength: 2,
    }),
    sections: fc.uniqueArray(fc.record({ id: marker, label: marker }), {
      maxLength: 2,
      selector: (s) => s.id,
    }),
    fields: fc.uniqueArray(
      fc.record({
        id: marker,
        type: fc.constantFrom('STRING', 'CONCEALED', 'EMAIL', 'URL', 'DATE', 'MONTH_YEAR', 'OTP'),
        label: marker,
        mark: marker,
        inSection: fc.boolean(),
      }),
      { maxLength: 4, selector: (f) => f.id },
    ),
  })
  .map((item) => ({
    title: item.title,
    tags: item.tags,
    urls: item.urls,
    sections: item.sections,
    fields: item.fields.map((f, i) => ({
      id: f.id,
      type: f.type,
      label: f.label,
      value: fieldOf(f.type, f.mark),
      ...(i === 0 ? { purpose: 'USERNAME' } : i === 1 ? { purpose: 'PASSWORD' } : {}),
      ...(f.inSection && item.sections[0] ? { section: { id: item.sections[0].id } } : {}),
    })),
  }));
type StoredItem = typeof storedItem extends fc.Arbitrary<infer T> ? T : never;

/** Every stored string a write-only caller must not see. */
function secretsOf(item: StoredItem): string[] {
  return [
    item.title,
    ...item.tags,
    ...item.urls.flatMap((u) => [u.href, u.label]),
    ...item.sections.flatMap((s) => [s.id, s.label]),
    ...item.fields.flatMap((f) => [f.id, f.label, f.value]),
  ];
}

/** Patches aimed at the item: its own ids, other ids, every kind of path and value. */
const patchesFor = (item: StoredItem) => {
  const ids = fc.constantFrom(
    ...item.fields.map((f) => f.id),
    ...item.sections.map((s) => s.id),
    'password',
    'nope',
  );
  const text = fc.stringMatching(/^[a-y0-9 ]{0,8}$/);
  const value = fc.oneof(
    text,
    fc.constantFrom(
      '',
      null,
      true,
      3,
      'DATE',
      'EMAIL',
      'URL',
      'OTP',
      'CUSTOM',
      'LOGIN',
      'USERNAME',
      '2020-01-01',
    ),
    fc.record(
      { label: text, value: text, type: fc.constantFrom('STRING', 'DATE', 'EMAIL') },
      { requiredKeys: [] },
    ),
    fc.array(fc.record({ label: text, value: text }, { requiredKeys: [] }), { maxLength: 2 }),
    fc.record({ title: text, category: fc.constantFrom('LOGIN', 'CUSTOM', 'SERVER') }),
  );
  const path = fc.oneof(
    fc.constantFrom(
      '/',
      '/title',
      '/category',
      '/favorite',
      '/tags',
      '/urls',
      '/fields',
      '/sections',
      '/vault',
    ),
    fc.constantFrom('-', '0', '1', '5').map((i) => `/tags/${i}`),
    fc.constantFrom('0', '3').map((i) => `/urls/${i}`),
    ids.map((id) => `/fields/${id}`),
    ids.map((id) => `/sections/${id}`),
    fc
      .tuple(ids, fc.constantFrom('label', 'value', 'type', 'purpose', 'section'))
      .map(([id, attribute]) => `/fields/${id}/${attribute}`),
    ids.map((id) => `/sections/${id}/label`),
  );
  /** A value that fits the path, so that patches get past their own checks to the item. */
  const fitting = (target: string): fc.Arbitrary<unknown> => {
    const depth = target.split('/').length;
    if (target.endsWith('/type'))
      return fc.constantFrom('DATE', 'EMAIL', 'URL', 'OTP', 'MONTH_YEAR', 'STRING');
    if (target.endsWith('/purpose')) return fc.constantFrom('USERNAME', 'PASSWORD', 'NOTES', '');
    if (target.endsWith('/section')) return ids.map((id) => ({ id }));
    if (target === '/category') return fc.constantFrom('LOGIN', 'CUSTOM', 'SERVER');
    if (target === '/favorite') return fc.boolean();
    if (target === '/tags')
      return fc.array(
        text.map((x) => `t${x}`),
        { maxLength: 2 },
      );
    if (target === '/fields' || (target.startsWith('/fields/') && depth === 3)) {
      const field = {
        label: text,
        value: text,
        type: fc.constantFrom('STRING', 'DATE'),
        purpose: fc.constantFrom('USERNAME', ''),
      };
      return fc.record(field, { requiredKeys: [] });
    }
    if (target === '/sections' || (target.startsWith('/sections/') && depth === 3))
      return fc.record({ label: text }, { requiredKeys: [] });
    return text.map((x) => `t${x}`);
  };
  const op = path.chain((target) =>
    fc.record(
      {
        op: fc.constantFrom('add', 'remove', 'replace'),
        path: fc.constant(target),
        value: fc.oneof(fitting(target), value),
      },
      { requiredKeys: ['op', 'path'] },
    ),
  );
  return fc.array(fc.array(op, { maxLength: 4 }), { minLength: 1, maxLength: 4 });
};

describe('property: nothing stored reaches a caller without READ', () => {
  it('for random items and random patch sequences, no answer holds a stored value, label, section or id it did not send', async () => {
    await fc.assert(
      fc.asyncProperty(
        storedItem.chain((item) => fc.tuple(fc.constant(item), patchesFor(item))),
        async ([item, patches]) => {
          const id = (await setup.item(vault, item)).id;
          const secrets = secretsOf(item);
          for (const ops of patches) {
            const request = JSON.stringify(ops);
            const res = await send('PATCH', itemUrl(id), writeOnly, ops);
            expect(res.statusCode).not.toBe(500);
            const shown = secrets.filter((s) => res.body.includes(s) && !request.includes(s));
            expect(shown, `${res.statusCode} ${res.body}`).toEqual([]);
            if (res.statusCode === 200) expect(Object.keys(res.json()).sort()).toEqual(RECEIPT_KEYS);
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);

  it('a caller with READ is told why, but never a stored value', async () => {
    await fc.assert(
      fc.asyncProperty(
        storedItem.chain((item) => fc.tuple(fc.constant(item), patchesFor(item))),
        async ([item, patches]) => {
          const id = (await setup.item(vault, item)).id;
          const values = item.fields.map((f) => f.value);
          for (const ops of patches) {
            const res = await send('PATCH', itemUrl(id), readWrite, ops);
            expect(res.statusCode).not.toBe(500);
            if (res.statusCode < 400) continue;
            const request = JSON.stringify(ops);
            expect(
              values.filter((v) => res.body.includes(v) && !request.includes(v)),
              res.body,
            ).toEqual([]);
          }
        },
      ),
      { numRuns: 20 },
    );
  }, 60_000);
});
