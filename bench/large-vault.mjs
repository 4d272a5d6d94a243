// A vault of many real items for benchmarks: sealed, headed and MAC'd exactly as the item
// service writes them, but inserted straight through the storage in batches (quicker than
// 100,000 API calls). Titles are two of ten words plus a number; `needle` is in three items' tags.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.mjs';

export const PASSWORD = 'correct horse battery staple';
export const WORDS = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
];
/** The title of the `i`th item. */
export const titleOf = (i) => `${WORDS[i % 10]} ${WORDS[Math.floor(i / 10) % 10]} service ${i}`;

/** A new data directory holding one vault of `count` items; the storage is closed on return. */
export async function seedLargeVault(count) {
  const dist = (file) => import(pathToFileURL(join(ROOT, 'dist', file)).href);
  const { loadConfig } = await dist('config/load.js');
  const { initDataDir } = await dist('main.js');
  const { buildServices } = await dist('services.js');
  const { newId } = await dist('crypto/ids.js');
  const { itemHead, versionMac } = await dist('domain/items/heads.js');
  const { sealItem, LAYOUT } = await dist('domain/items/sealing.js');
  const { buildItemContent, parseItemInput } = await dist('domain/items/input.js');
  const { systemContext } = await dist('domain/context.js');

  const dir = mkdtempSync(join(tmpdir(), 'keyhold-bench-vault-'));
  const config = loadConfig({ KEYHOLD_DATA_DIR: dir, KEYHOLD_LOG_LEVEL: 'silent' });
  const init = await initDataDir(config, { ownerPassword: PASSWORD });
  const services = buildServices(init.storage, init.keyring, { publicUrl: () => 'http://bench' });
  const ctx = systemContext(init.accountId);
  const vault = await services.vaults.create(ctx, { name: 'large', description: `${count} items` });
  const vaultCore = await init.storage.vaults.find(init.accountId, vault.id);
  const key = init.keyring.vaultKey(vaultCore);
  const macKey = init.keyring.macKey(vaultCore);
  const needles = new Set([7, Math.floor(count / 2), count - 3]);
  const seedStart = performance.now();
  const BATCH = 2000;
  for (let start = 0; start < count; start += BATCH) {
    const now = new Date().toISOString();
    await init.storage.transaction(async (tx) => {
      for (let i = start; i < Math.min(count, start + BATCH); i++) {
        const content = buildItemContent(
          parseItemInput({
            title: titleOf(i),
            category: i % 3 === 0 ? 'LOGIN' : i % 3 === 1 ? 'PASSWORD' : 'API_CREDENTIAL',
            urls: [{ href: `https://host-${i}.example.com/login`, primary: true }],
            tags: [WORDS[i % 7], `team-${i % 50}`, ...(needles.has(i) ? ['needle'] : [])],
            fields: [
              { purpose: 'USERNAME', value: `user${i}` },
              { purpose: 'PASSWORD', type: 'CONCEALED', value: `secret-${i}-${newId()}` },
            ],
          }),
        );
        const base = {
          id: newId(),
          vaultId: vault.id,
          accountId: init.accountId,
          version: 1,
          createdAt: now,
          updatedAt: now,
          lastEditedBy: 'bench',
        };
        const row = { ...base, head: itemHead(macKey, base) };
        const place = { accountId: init.accountId, vaultId: vault.id, itemId: base.id, version: 1 };
        const edit = { createdAt: now, editedBy: 'bench' };
        await tx.items.insert(row, {
          itemId: base.id,
          version: 1,
          ...sealItem(key, place, content),
          ...edit,
          mac: versionMac(macKey, { ...place, ...edit }),
        });
      }
      await tx.vaults.touchContent(vault.id, now);
    });
  }
  if (LAYOUT.served !== 3) throw new Error('unexpected layout');
  const seedSeconds = (performance.now() - seedStart) / 1000;
  await init.storage.close();
  return { dir, init, vault, seedSeconds };
}
