import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aad, sealJson } from '../../src/crypto/envelope.js';
import { LAYOUT, openItem, type SealedItem } from '../../src/domain/items/sealing.js';
import type { ItemContent } from '../../src/domain/items/types.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let api: ReturnType<typeof client>;
beforeEach(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
});
afterEach(() => t.close());

// Distinctive markers: if any of them appears in a file, that file holds plaintext.
const SECRETS = {
  vaultName: 'VaultNameMarker-7f3a',
  vaultDescription: 'VaultDescriptionMarker-19bd',
  title: 'TitleMarker-c0ffee',
  password: 'PasswordMarker-deadbeef',
  notes: 'NotesMarker-a11ce',
  section: 'SectionLabelMarker-b0b',
  fieldLabel: 'FieldLabelMarker-e66',
  url: 'https://UrlMarker-9aa.example.com',
  tag: 'TagMarker-5eed',
  fileName: 'FileNameMarker-f17e.txt',
  fileContent: 'FileContentMarker-c0de',
};

/** With `readBack`, everything is read back once, so the read paths log too (and cache the item). */
async function writeSecrets({ readBack = true } = {}) {
  const vault = (
    await api.post('/vaults', { name: SECRETS.vaultName, description: SECRETS.vaultDescription })
  ).json();
  const item = (
    await api.post(`/vaults/${vault.id}/items`, {
      title: SECRETS.title,
      category: 'LOGIN',
      urls: [{ href: SECRETS.url, primary: true }],
      tags: [SECRETS.tag],
      sections: [{ id: 'extra', label: SECRETS.section }],
      fields: [
        { purpose: 'PASSWORD', type: 'CONCEALED', value: SECRETS.password },
        { purpose: 'NOTES', value: SECRETS.notes },
        { label: SECRETS.fieldLabel, value: 'x', section: { id: 'extra' } },
      ],
    })
  ).json();
  await t.app.inject({
    method: 'POST',
    url: `/api/admin/vaults/${vault.id}/items/${item.id}/files?name=${SECRETS.fileName}`,
    headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/octet-stream' },
    payload: Buffer.from(SECRETS.fileContent),
  });
  if (readBack) {
    await api.get(`/vaults/${vault.id}/items/${item.id}`);
    await api.get(`/vaults/${vault.id}/items?filter=${encodeURIComponent(`title eq "${SECRETS.title}"`)}`);
  }
  return { vault, item };
}

function needles(): Buffer[] {
  return Object.values(SECRETS).flatMap((s) => [Buffer.from(s, 'utf8'), Buffer.from(s, 'utf16le')]);
}

describe('encryption at rest', () => {
  it('leaves no plaintext title, name, note, field, URL, tag, file name or content in the database, its WAL or the logs', async () => {
    await writeSecrets();
    // Scan while the WAL still holds the recent writes, then again after a checkpoint.
    const files = readdirSync(t.dir).filter((f) => f.startsWith('keyhold.db'));
    expect(files).toContain('keyhold.db-wal');
    const scan = () => {
      for (const f of readdirSync(t.dir)) {
        const bytes = readFileSync(join(t.dir, f));
        for (const needle of needles())
          expect(bytes.includes(needle), `${needle.toString()} found in ${f}`).toBe(false);
      }
    };
    scan();
    const raw = new Database(join(t.dir, 'keyhold.db'));
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    scan();
    const logs = t.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const s of Object.values(SECRETS)) expect(logs).not.toContain(s);
    expect(logs).not.toContain(t.token);
  });
});

describe('tampering', () => {
  /** Flips a byte of the item's stored content, with a connection of its own. */
  function flipContentByte(itemId: string): void {
    const raw = new Database(join(t.dir, 'keyhold.db'));
    const row = raw.prepare('select content from item_versions where item_id = ?').get(itemId) as {
      content: Buffer;
    };
    const tampered = Buffer.from(row.content);
    tampered[20] = (tampered[20] as number) ^ 0xff;
    raw.prepare('update item_versions set content = ? where item_id = ?').run(tampered, itemId);
    raw.close();
  }
  const integrityError = (itemId: string) => ({
    status: 500,
    code: 'integrity_error',
    message: `Integrity check failed for item ${itemId}`,
  });

  it('a flipped byte in a stored ciphertext is an integrity error, never garbage', async () => {
    const { vault, item } = await writeSecrets({ readBack: false });
    flipContentByte(item.id);
    const res = await api.get(`/vaults/${vault.id}/items/${item.id}`);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual(integrityError(item.id));
  });

  it('an item read before its row was altered behind the service is answered as it was verified, and the alteration is found once the row is read again', async () => {
    // The item views read lately are kept sealed in memory (storage/cache/item-views.ts): a row
    // altered on disk is not read until a write, an eviction or a restart reads it again.
    const { vault, item } = await writeSecrets();
    const other = (await api.post(`/vaults/${vault.id}/items`, { title: 'other', fields: [] })).json();
    await api.get(`/vaults/${vault.id}/items/${item.id}`);
    flipContentByte(item.id);
    const kept = await api.get(`/vaults/${vault.id}/items/${item.id}`);
    expect(kept.statusCode).toBe(200);
    expect(kept.body).toContain(SECRETS.password);
    // A write to any item empties the kept views: the altered row is read, and refused.
    await api.put(`/vaults/${vault.id}/items/${other.id}`, { ...other, title: 'other, renamed' });
    const res = await api.get(`/vaults/${vault.id}/items/${item.id}`);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual(integrityError(item.id));
  });

  it('a ciphertext moved to another row does not open there', async () => {
    const { vault, item } = await writeSecrets();
    const other = (await api.post(`/vaults/${vault.id}/items`, { title: 'other', fields: [] })).json();
    const raw = new Database(join(t.dir, 'keyhold.db'));
    const source = raw
      .prepare('select overview, content from item_versions where item_id = ?')
      .get(item.id) as {
      overview: Buffer;
      content: Buffer;
    };
    raw
      .prepare('update item_versions set overview = ?, content = ? where item_id = ?')
      .run(source.overview, source.content, other.id);
    raw.close();
    const res = await api.get(`/vaults/${vault.id}/items/${other.id}`);
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('integrity_error');
    expect(res.body).not.toContain(SECRETS.password);
    // The original row is untouched and still opens.
    expect((await api.get(`/vaults/${vault.id}/items/${item.id}`)).json().title).toBe(SECRETS.title);
  });

  it('a layout flag changed in the database is an integrity error, never one shape read as the other', async () => {
    const { vault, item } = await writeSecrets({ readBack: false });
    const raw = new Database(join(t.dir, 'keyhold.db'));
    raw.prepare('update item_versions set layout = 1 where item_id = ?').run(item.id);
    raw.close();
    const res = await api.get(`/vaults/${vault.id}/items/${item.id}`);
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('integrity_error');
    expect(res.body).not.toContain(SECRETS.password);
  });

  it.each([
    [LAYOUT.apart, 'details', (c: ItemContent) => c.details],
    [LAYOUT.together, 'content', (c: ItemContent) => c],
  ] as const)('reads a version stored in an earlier layout (%i) as it was', async (layout, part, stored) => {
    const { vault, item } = await writeSecrets();
    const before = (await api.get(`/vaults/${vault.id}/items/${item.id}`)).json();
    // Re-store the version as the earlier layout did, under its own AAD part. The overview
    // column was sealed the same way in every layout.
    const vaultRow = await t.storage.vaults.get(t.accountId, vault.id);
    const key = t.keyring.vaultKey(vaultRow as NonNullable<typeof vaultRow>);
    const place = { accountId: t.accountId, vaultId: vault.id, itemId: item.id, version: 1 };
    const current = openItem(key, place, (await t.storage.items.getVersion(item.id, 1)) as SealedItem);
    const sealed = sealJson(key, stored(current), aad.item(t.accountId, vault.id, item.id, 1, part));
    const raw = new Database(join(t.dir, 'keyhold.db'));
    raw
      .prepare('update item_versions set content = ?, layout = ? where item_id = ?')
      .run(sealed, layout, item.id);
    raw.close();
    const res = await api.get(`/vaults/${vault.id}/items/${item.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(before);
  });

  it('a vault key moved to another vault does not unwrap', async () => {
    const a = (await api.post('/vaults', { name: 'A' })).json();
    const b = (await api.post('/vaults', { name: 'B' })).json();
    const item = (await api.post(`/vaults/${b.id}/items`, { title: 't', fields: [] })).json();
    // A fresh app so no unwrapped key is cached.
    const raw = new Database(join(t.dir, 'keyhold.db'));
    const key = raw.prepare('select wrapped_key from vaults where id = ?').get(a.id) as {
      wrapped_key: Buffer;
    };
    raw.prepare('update vaults set wrapped_key = ? where id = ?').run(key.wrapped_key, b.id);
    raw.close();
    const { buildServices } = await import('../../src/services.js');
    const { openStore } = await import('../../src/bootstrap/store.js');
    const opened = await openStore(t.config);
    try {
      const services = buildServices(opened.storage, opened.keyring, {
        publicUrl: () => 'http://127.0.0.1:8300',
      });
      const ctx = {
        actor: {
          type: 'admin_token' as const,
          id: 'x',
          accountId: t.accountId,
          tokenId: null,
          operator: false,
        },
        principal: { kind: 'system' as const, accountId: t.accountId },
        requestId: null,
        ip: null,
        userAgent: null,
      };
      await expect(services.items.get(ctx, b.id, item.id)).rejects.toMatchObject({
        code: 'integrity_error',
        message: `Integrity check failed for vault ${b.id} key`,
      });
    } finally {
      await opened.storage.close();
    }
  });
});
