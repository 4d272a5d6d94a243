import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  FieldPurpose,
  FieldType,
  type FullItem,
  GeneratorRecipe,
  ItemBuilder,
  ItemCategory,
  OnePasswordConnect,
  type OPConnect,
} from '@1password/connect';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectFixture, type IssuedToken, stopConnectServices } from '../helpers/connect.js';
import { cleanup, startKeyhold } from '../helpers/processes.js';

/**
 * The official 1Password Connect SDK for JavaScript (`@1password/connect`, unchanged) against a
 * real Connect server, hosted either inside `keyhold serve --connect` or as its own `keyhold connect`
 * process: every public method of `OPConnect`, the values they return, and
 * the errors they reject with (`{status, message}`, as the SDK passes the body through).
 *
 * Set-up goes through `keyhold init` and the admin API only. Tests build on each other, in order.
 */
export function connectSdkSuite(hosting: 'in process' | 'own process'): void {
  const ID = /^[a-z0-9]{26}$/;
  const CharacterSets = GeneratorRecipe.CharacterSetsEnum;
  const OTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const OTP_URI = `otpauth://totp/x?secret=${OTP_SECRET}`;

  /** Titles the SDK puts unescaped into `?filter=title eq "…"`. */
  const SPECIAL_TITLES = [
    'Database & cache',
    'Ünïcödé 秘密 🔑',
    'With   three  spaces',
    'Say "cheese"',
    '100% sure',
    'path/to?x=1&y=2',
    ' padded ',
  ];
  const VAULT_A_NAME = 'SDK vault Ω & co';

  const TEXT_FILE = Buffer.from('first line\nsecond line — ünïcödé ✓ 秘密\n', 'utf8');
  /** Every byte value, then random bytes: larger than the inline limit and than one TCP read. */
  const BINARY_FILE = Buffer.concat([
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    randomBytes(150_000),
  ]);

  let fixture: ConnectFixture;
  let connectUrl: string;
  let vaultA: string;
  let vaultB: string;
  let twinVaults: string[];
  /** Items created through the admin API, by title. */
  const seeded = new Map<string, string>();
  let itemB: string;
  let fileItem: string;
  let textFileId: string;
  let binaryFileId: string;

  let fullToken: IssuedToken;
  let onlyAToken: IssuedToken;
  let readOnlyToken: IssuedToken;
  let revocableToken: IssuedToken;
  let serverId: string;
  /** A second hosted Connect server, and a token of that server. */
  let otherConnectUrl: string;
  let otherServerToken: IssuedToken;

  /** An SDK client exactly as an application builds one. */
  const sdk = (token: string): OPConnect =>
    OnePasswordConnect({ serverURL: connectUrl, token, keepAlive: true });
  let op: OPConnect;

  const rejection = (status: number) => ({ status, message: expect.stringMatching(/\S/) });

  /** Expects `promise` to reject with Connect's error body `{status, message}`. */
  async function expectRejects(promise: Promise<unknown>, status: number): Promise<void> {
    await expect(promise).rejects.toMatchObject(rejection(status));
  }

  /**
   * A change of access reaches a standalone node on its change stream, within a second (issue 18);
   * in process it holds at once. Retries `check` until then.
   */
  async function afterAccessChange(check: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + (hosting === 'own process' ? 1_000 : 0);
    for (;;) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }
  /** A standalone node has never heard of a vault its server may not reach: 404, not 403. */
  const unreachableVault = hosting === 'own process' ? 404 : 403;

  const validDate = (d: unknown) => d instanceof Date && !Number.isNaN(d.getTime());

  async function seedItem(vaultId: string, body: Record<string, unknown>): Promise<string> {
    const item = await fixture.admin.call<{ id: string }>('POST', `/vaults/${vaultId}/items`, body);
    return item.id;
  }

  beforeAll(async () => {
    fixture = new ConnectFixture();
    await fixture.start();
    const admin = fixture.admin;
    const vault = async (name: string) => (await admin.call<{ id: string }>('POST', '/vaults', { name })).id;
    vaultA = await vault(VAULT_A_NAME);
    vaultB = await vault('SDK vault B');
    twinVaults = [await vault('Twin vault'), await vault('Twin vault')];

    seeded.set(
      'OTP login',
      await seedItem(vaultA, {
        title: 'OTP login',
        category: 'LOGIN',
        fields: [
          { purpose: 'USERNAME', value: 'otp-user' },
          { type: 'OTP', label: 'one-time password', value: OTP_URI },
        ],
      }),
    );
    for (const title of SPECIAL_TITLES) {
      seeded.set(
        title,
        await seedItem(vaultA, {
          title,
          category: 'PASSWORD',
          fields: [{ purpose: 'PASSWORD', value: `pw of ${title}` }],
        }),
      );
    }
    seeded.set('C# notes', await seedItem(vaultA, { title: 'C# notes', category: 'SECURE_NOTE' }));
    for (const n of [1, 2]) {
      seeded.set(
        `Twin item ${n}`,
        await seedItem(vaultA, {
          title: 'Twin item',
          category: 'SECURE_NOTE',
          fields: [{ purpose: 'NOTES', value: `twin ${n}` }],
        }),
      );
    }
    fileItem = await seedItem(vaultA, { title: 'File holder', category: 'SECURE_NOTE' });
    seeded.set('File holder', fileItem);
    textFileId = (await admin.upload<{ id: string }>(vaultA, fileItem, 'notes.txt', TEXT_FILE)).id;
    binaryFileId = (await admin.upload<{ id: string }>(vaultA, fileItem, 'blob.bin', BINARY_FILE)).id;
    itemB = await seedItem(vaultB, {
      title: 'B secret',
      category: 'PASSWORD',
      fields: [{ purpose: 'PASSWORD', value: 'in vault B' }],
    });

    const server = await fixture.createServer('sdk e2e', [vaultA, vaultB, ...twinVaults]);
    serverId = server.id;
    const other = await fixture.createServer('other server', [vaultA]);
    otherServerToken = await fixture.issueToken(other.id, 'other server', [
      { vaultId: vaultA, permissions: ['read'] },
    ]);
    const rw = (vaultId: string) => ({ vaultId, permissions: ['read', 'write'] as ('read' | 'write')[] });
    fullToken = await fixture.issueToken(server.id, 'full', [rw(vaultA), rw(vaultB), ...twinVaults.map(rw)]);
    onlyAToken = await fixture.issueToken(server.id, 'only A', [rw(vaultA)]);
    readOnlyToken = await fixture.issueToken(server.id, 'read only', [
      { vaultId: vaultA, permissions: ['read'] },
    ]);
    revocableToken = await fixture.issueToken(
      server.id,
      'revocable',
      [{ vaultId: vaultA, permissions: ['read'] }],
      3600,
    );

    const service = await fixture.hostConnect();
    connectUrl = service.connectUrls[0] ?? '';
    otherConnectUrl = service.connectUrls[1] ?? '';
    if (hosting === 'own process') {
      // The same servers, each served by its own `keyhold connect` talking to the central service.
      const remote = async (credentialsFile: string) =>
        (
          await startKeyhold(
            [
              'connect',
              '--credentials',
              credentialsFile,
              '--central',
              service.url,
              '--port',
              '0',
              '--data-dir',
              `${credentialsFile}.data`,
            ],
            'connect server listening',
          )
        ).url;
      [connectUrl, otherConnectUrl] = (await Promise.all(fixture.credentialsFiles.map(remote))) as [
        string,
        string,
      ];
    }
    op = sdk(fullToken.token);
  }, 50_000);

  afterAll(async () => {
    await stopConnectServices();
    await cleanup();
  });

  describe('the Connect API as seen by @1password/connect', () => {
    it('answers with the 1Password-Connect-Version header, on successes and errors alike', async () => {
      expect(connectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const ok = await fetch(`${connectUrl}/v1/vaults/`, {
        headers: { authorization: `Bearer ${fullToken.token}` },
      });
      expect(ok.status).toBe(200);
      const version = ok.headers.get('1password-connect-version');
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
      const [major = 0, minor = 0] = (version ?? '').split('.').map(Number);
      expect(major > 1 || (major === 1 && minor >= 3)).toBe(true);

      const denied = await fetch(`${connectUrl}/v1/vaults`, { headers: { authorization: 'Bearer nope' } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('1password-connect-version')).toBe(version);
      expect(await denied.json()).toMatchObject(rejection(401));
    });

    it('listVaults: every vault the token may read, in the Vault shape with real dates', async () => {
      const vaults = await op.listVaults();
      expect(vaults.map((v) => v.id).sort()).toEqual([vaultA, vaultB, ...twinVaults].sort());
      const a = vaults.find((v) => v.id === vaultA);
      expect(a).toMatchObject({ id: vaultA, name: VAULT_A_NAME, type: 'USER_CREATED', items: seeded.size });
      expect(validDate(a?.createdAt)).toBe(true);
      expect(validDate(a?.updatedAt)).toBe(true);
      expect(typeof a?.contentVersion).toBe('number');
      expect(typeof a?.attributeVersion).toBe('number');
    });

    it('getVault by id and by title (spaces, & and unicode), getVaultById, getVaultByTitle', async () => {
      const byId = await op.getVault(vaultA);
      expect(byId).toMatchObject({ id: vaultA, name: VAULT_A_NAME });
      expect(await op.getVault(VAULT_A_NAME)).toMatchObject({ id: vaultA, name: VAULT_A_NAME });
      expect(await op.getVaultById(vaultB)).toMatchObject({ id: vaultB, name: 'SDK vault B' });
      expect(await op.getVaultByTitle('SDK vault B')).toMatchObject({ id: vaultB });
      await expectRejects(op.getVault('No such vault'), 404);
      await expectRejects(op.getVault('Twin vault'), 400);
      await expectRejects(op.getVaultById('a'.repeat(26)), 404);
    });

    it('listVaultsByTitle: exact matches only', async () => {
      const twins = await op.listVaultsByTitle('Twin vault');
      expect(twins.map((v) => v.id).sort()).toEqual([...twinVaults].sort());
      expect((await op.listVaultsByTitle(VAULT_A_NAME)).map((v) => v.id)).toEqual([vaultA]);
      expect(await op.listVaultsByTitle('Twin')).toEqual([]);
    });

    it('listItems: summaries carrying vault.id, without fields', async () => {
      const items = await op.listItems(vaultA);
      expect(items.map((i) => i.id).sort()).toEqual([...seeded.values()].sort());
      const otp = items.find((i) => i.id === seeded.get('OTP login'));
      expect(otp).toMatchObject({ title: 'OTP login', category: 'LOGIN', vault: { id: vaultA }, version: 1 });
      expect(validDate(otp?.createdAt)).toBe(true);
      for (const item of items) expect(item.vault.id).toBe(vaultA);
      // The SDK's Item model drops unknown keys, so check the wire for "summaries only".
      const raw = await fetch(`${connectUrl}/v1/vaults/${vaultA}/items/`, {
        headers: { authorization: `Bearer ${fullToken.token}` },
      });
      const body = (await raw.json()) as Record<string, unknown>[];
      expect(body).toHaveLength(seeded.size);
      for (const item of body) {
        expect(item).not.toHaveProperty('fields');
        expect(item).not.toHaveProperty('sections');
      }
    });

    it('listItemsByTitle: exact title, full items, for titles with spaces, &, quotes and unicode', async () => {
      for (const title of SPECIAL_TITLES) {
        const found = await op.listItemsByTitle(vaultA, title);
        expect(
          found.map((i) => i.id),
          title,
        ).toEqual([seeded.get(title)]);
        expect(found[0]?.title).toBe(title);
        expect(found[0]?.fields?.find((f) => f.purpose === FieldPurpose.Password)?.value).toBe(
          `pw of ${title}`,
        );
      }
      const twins = await op.listItemsByTitle(vaultA, 'Twin item');
      expect(twins.map((i) => i.id).sort()).toEqual(
        [seeded.get('Twin item 1'), seeded.get('Twin item 2')].sort(),
      );
      expect(await op.listItemsByTitle(vaultA, 'Twin')).toEqual([]);
    });

    it('listItemsByTitleContains: substring matches, full items', async () => {
      const twins = await op.listItemsByTitleContains(vaultA, 'Twin');
      expect(twins.map((i) => i.id).sort()).toEqual(
        [seeded.get('Twin item 1'), seeded.get('Twin item 2')].sort(),
      );
      expect(twins.every((i) => Array.isArray(i.fields))).toBe(true);
      const amp = await op.listItemsByTitleContains(vaultA, '& cache');
      expect(amp.map((i) => i.id)).toEqual([seeded.get('Database & cache')]);
      const unicode = await op.listItemsByTitleContains(vaultA, '秘密');
      expect(unicode.map((i) => i.id)).toEqual([seeded.get('Ünïcödé 秘密 🔑')]);
      expect(await op.listItemsByTitleContains(vaultA, 'nothing has this')).toEqual([]);
    });

    it('getItem by id and by title, getItemById, getItemByTitle', async () => {
      const id = seeded.get('OTP login') ?? '';
      const byId = await op.getItem(vaultA, id);
      expect(byId).toMatchObject({
        id,
        title: 'OTP login',
        category: 'LOGIN',
        vault: { id: vaultA },
        version: 1,
      });
      expect(byId.fields?.find((f) => f.purpose === FieldPurpose.Username)).toMatchObject({
        id: 'username',
        value: 'otp-user',
      });
      expect(validDate(byId.createdAt) && validDate(byId.updatedAt)).toBe(true);
      expect(await op.getItem(vaultA, 'OTP login')).toMatchObject({ id, title: 'OTP login' });
      expect(await op.getItemById(vaultA, id)).toMatchObject({ id });
      for (const title of SPECIAL_TITLES) {
        expect((await op.getItemByTitle(vaultA, title)).id, title).toBe(seeded.get(title));
      }
      expect((await op.getItem(vaultB, 'B secret')).id).toBe(itemB);
    });

    it('getItemByTitle rejects 400 on a duplicate title, 404 on none; bad ids are 400 or 404', async () => {
      await expectRejects(op.getItemByTitle(vaultA, 'Twin item'), 400);
      await expectRejects(op.getItem(vaultA, 'Twin item'), 400);
      await expectRejects(op.getItemByTitle(vaultA, 'No such item'), 404);
      await expectRejects(op.getItemById(vaultA, 'b'.repeat(26)), 404);
      // An item id from another vault is not found in this one.
      await expectRejects(op.getItemById(vaultA, itemB), 404);
      // A malformed id is refused as such, never a 500.
      await expectRejects(op.getItemById(vaultA, 'NOT-AN-ID'), 400);
    });

    it('a title with # cannot reach the server whole through the SDK (it is a URL fragment): 400, never 500', async () => {
      await expectRejects(op.getItemByTitle(vaultA, 'C# notes'), 400);
      // By id it is an ordinary item.
      expect((await op.getItem(vaultA, seeded.get('C# notes') ?? '')).title).toBe('C# notes');
    });

    it('getItemOTP: the current 6-digit code of the OTP field, by id and by title', async () => {
      const totp = new TOTP({
        secret: Secret.fromBase32(OTP_SECRET),
        digits: 6,
        period: 30,
        algorithm: 'SHA1',
      });
      const byId = await op.getItemOTP(vaultA, seeded.get('OTP login') ?? '');
      expect(byId).toMatch(/^\d{6}$/);
      expect(totp.validate({ token: byId, window: 1 })).not.toBeNull();
      const byTitle = await op.getItemOTP(vaultA, 'OTP login');
      expect(totp.validate({ token: byTitle, window: 1 })).not.toBeNull();
      const item = await op.getItem(vaultA, 'OTP login');
      expect(item.fields?.find((f) => f.type === FieldType.Otp)).toMatchObject({
        value: OTP_URI,
        otp: expect.stringMatching(/^\d{6}$/),
      });
      // An item without an OTP field: the SDK's own error.
      await expect(op.getItemOTP(vaultA, seeded.get('Twin item 1') ?? '')).rejects.toThrow(/No OTP found/);
    });

    let created: FullItem;
    let sectionId: string;
    let password: string;

    it('createItem with ItemBuilder: generated password per recipe with entropy, notes, section, URL, tags', async () => {
      const built = new ItemBuilder()
        .setCategory(ItemCategory.Login)
        .setTitle('Created by SDK')
        .addField({
          type: FieldType.String,
          purpose: FieldPurpose.Username,
          label: 'username',
          value: 'sdk-user',
        })
        .addField({
          type: FieldType.Concealed,
          purpose: FieldPurpose.Password,
          label: 'password',
          generate: true,
          recipe: { length: 40, characterSets: [CharacterSets.Letters, CharacterSets.Digits] },
        })
        .addField({
          type: FieldType.String,
          purpose: FieldPurpose.Notes,
          label: 'notesPlain',
          value: 'made by the JS SDK\nline 2',
        })
        .addField({ type: FieldType.String, label: 'port', value: '5432', sectionName: 'Connection details' })
        .addField({
          type: FieldType.Concealed,
          label: 'pin',
          sectionName: 'Connection details',
          generate: true,
          recipe: { length: 12, characterSets: [CharacterSets.Digits], excludeCharacters: '0123' },
        })
        .addUrl({ href: 'https://example.com/login', primary: true })
        .addUrl({ href: 'https://example.com/alt' })
        .addTag('sdk')
        .addTag('e2e ✓')
        .toggleFavorite()
        .build();
      sectionId = built.sections?.[0]?.id ?? '';
      expect(sectionId).toMatch(/^Section_[0-9a-f]{26}$/);

      created = await op.createItem(vaultA, built);
      expect(created.id).toMatch(ID);
      expect(created).toMatchObject({
        title: 'Created by SDK',
        category: 'LOGIN',
        vault: { id: vaultA },
        version: 1,
        favorite: true,
        tags: expect.arrayContaining(['sdk', 'e2e ✓']),
        urls: [{ href: 'https://example.com/login', primary: true }, { href: 'https://example.com/alt' }],
        sections: [{ id: sectionId, label: 'Connection details' }],
      });
      expect(created.tags).toHaveLength(2);
      expect(validDate(created.createdAt) && validDate(created.updatedAt)).toBe(true);

      const fields = created.fields ?? [];
      expect(fields).toHaveLength(5);
      expect(fields.find((f) => f.purpose === FieldPurpose.Username)).toMatchObject({
        id: 'username',
        value: 'sdk-user',
      });
      expect(fields.find((f) => f.purpose === FieldPurpose.Notes)).toMatchObject({
        id: 'notesPlain',
        value: 'made by the JS SDK\nline 2',
      });
      expect(fields.find((f) => f.label === 'port')).toMatchObject({
        value: '5432',
        section: { id: sectionId },
      });

      const pw = fields.find((f) => f.purpose === FieldPurpose.Password);
      expect(pw).toMatchObject({ id: 'password', type: 'CONCEALED' });
      password = pw?.value ?? '';
      expect(password).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(password).toMatch(/[A-Za-z]/);
      expect(password).toMatch(/[0-9]/);
      // Bits: at most 40 × log2(62) ≈ 238.2; a real figure, not a placeholder.
      expect(pw?.entropy).toBeGreaterThan(200);
      expect(pw?.entropy).toBeLessThanOrEqual(40 * Math.log2(62) + 0.01);

      const pin = fields.find((f) => f.label === 'pin');
      expect(pin?.value).toMatch(/^[4-9]{12}$/);
      expect(pin?.section?.id).toBe(sectionId);
      expect(pin?.entropy).toBeCloseTo(12 * Math.log2(6), 1);

      // It is stored: a fresh read returns the same item.
      const read = await op.getItem(vaultA, created.id ?? '');
      expect(read).toMatchObject({
        id: created.id,
        title: 'Created by SDK',
        version: 1,
        sections: created.sections,
      });
      expect(read.fields?.find((f) => f.id === 'password')?.value).toBe(password);
      expect((await op.getItemByTitle(vaultA, 'Created by SDK')).id).toBe(created.id);
    });

    it('createItem keeps every field type; an impossible DATE is 400', async () => {
      const typed = new ItemBuilder()
        .setCategory(ItemCategory.Identity)
        .setTitle('Typed fields')
        .addField({ type: FieldType.Email, label: 'email', value: 'someone@example.com' })
        .addField({ type: FieldType.Url, label: 'site', value: 'https://example.com/a?b=c' })
        .addField({ type: FieldType.Date, label: 'born', value: '2024-02-29' })
        .addField({ type: FieldType.MonthYear, label: 'expires', value: '2030/12' })
        .addField({ type: FieldType.Menu, label: 'choice', value: 'second' })
        .addField({ type: FieldType.Concealed, label: 'secret', value: 'sh & "quoted" ✓' })
        .build();
      const item = await op.createItem(vaultA, typed);
      const byLabel = new Map((item.fields ?? []).map((f) => [f.label, f]));
      expect(byLabel.get('email')).toMatchObject({ type: 'EMAIL', value: 'someone@example.com' });
      expect(byLabel.get('site')).toMatchObject({ type: 'URL', value: 'https://example.com/a?b=c' });
      expect(byLabel.get('born')).toMatchObject({ type: 'DATE', value: '2024-02-29' });
      expect(byLabel.get('expires')).toMatchObject({ type: 'MONTH_YEAR' });
      expect(byLabel.get('expires')?.value).toMatch(/^2030\/?12$/);
      expect(byLabel.get('choice')).toMatchObject({ type: 'MENU', value: 'second' });
      expect(byLabel.get('secret')).toMatchObject({ type: 'CONCEALED', value: 'sh & "quoted" ✓' });
      expect(item.category).toBe('IDENTITY');
      for (const f of item.fields ?? []) expect(f.id).toMatch(/\S/);

      const badDate = new ItemBuilder()
        .setCategory(ItemCategory.Login)
        .setTitle('Bad date')
        .addField({ type: FieldType.Date, label: 'when', value: '2023-02-30' })
        .build();
      await expectRejects(op.createItem(vaultA, badDate), 400);
      await op.deleteItem(vaultA, item.id ?? '');
    });

    it('createItem refuses a CUSTOM item with 400', async () => {
      const custom = new ItemBuilder().setCategory(ItemCategory.Custom).setTitle('custom').build();
      await expectRejects(op.createItem(vaultA, custom), 400);
    });

    it('updateItem with the object getItem returned: new title and field value, version + 1, persisted', async () => {
      const id = created.id ?? '';
      const item = await op.getItem(vaultA, id);
      item.title = 'Renamed — SDK ✓ & co';
      const username = item.fields?.find((f) => f.id === 'username');
      if (!username) throw new Error('no username field');
      username.value = 'renamed-user';
      const updated = await op.updateItem(vaultA, item);
      expect(updated).toMatchObject({ id, title: 'Renamed — SDK ✓ & co', version: 2, vault: { id: vaultA } });
      expect(updated.fields?.find((f) => f.id === 'username')?.value).toBe('renamed-user');

      const read = await op.getItem(vaultA, id);
      expect(read).toMatchObject({
        id,
        title: 'Renamed — SDK ✓ & co',
        version: 2,
        category: 'LOGIN',
        favorite: true,
      });
      expect(read.fields?.find((f) => f.id === 'username')?.value).toBe('renamed-user');
      // Untouched values, ids, sections and the entropy of an unchanged password survive.
      const pw = read.fields?.find((f) => f.id === 'password');
      expect(pw?.value).toBe(password);
      expect(pw?.entropy).toBeGreaterThan(200);
      expect(read.sections).toEqual(created.sections);
      expect(read.fields?.map((f) => f.id).sort()).toEqual(created.fields?.map((f) => f.id).sort());
      expect(read.urls).toEqual(created.urls);
      expect(read.updatedAt?.getTime()).toBeGreaterThanOrEqual(created.updatedAt?.getTime() ?? Number.NaN);
      expect((await op.getItemByTitle(vaultA, 'Renamed — SDK ✓ & co')).id).toBe(id);
      await expectRejects(op.getItemByTitle(vaultA, 'Created by SDK'), 404);

      // The item the update returned round-trips too (its dates were real Dates).
      updated.title = 'Renamed twice';
      expect(await op.updateItem(vaultA, updated)).toMatchObject({ id, title: 'Renamed twice', version: 3 });
    });

    it('updateItem adds and removes fields and sections; client-chosen ids are kept', async () => {
      const item = await op.getItem(vaultA, created.id ?? '');
      item.sections = [...(item.sections ?? []), { id: 'extra', label: 'Extra' }];
      item.fields = (item.fields ?? []).filter((f) => f.purpose !== FieldPurpose.Notes);
      item.fields.push(
        { type: FieldType.String, label: 'added without id', value: 'new' },
        {
          id: 'myfield',
          type: FieldType.String,
          label: 'added with id',
          value: 'mine',
          section: { id: 'extra' },
        },
      );
      const updated = await op.updateItem(vaultA, item);
      expect(updated.version).toBe(4);
      expect(updated.sections?.map((x) => x.id)).toEqual([sectionId, 'extra']);
      const fields = updated.fields ?? [];
      expect(fields.find((f) => f.id === 'notesPlain')).toBeUndefined();
      expect(fields.find((f) => f.label === 'added without id')?.id).toMatch(/\S/);
      expect(fields.find((f) => f.id === 'myfield')).toMatchObject({
        value: 'mine',
        section: { id: 'extra' },
      });
      expect(fields.find((f) => f.id === 'password')?.value).toBe(password);
      const read = await op.getItem(vaultA, created.id ?? '');
      expect(read.fields?.map((f) => f.id)).toEqual(fields.map((f) => f.id));
    });

    it('updateItem echoes back totp and files: ignored, the OTP and the files are kept', async () => {
      const before = await op.getVault(vaultA);
      const otpItem = await op.getItem(vaultA, 'OTP login');
      const otpField = otpItem.fields?.find((f) => f.type === FieldType.Otp);
      expect(otpField?.otp).toMatch(/^\d{6}$/);
      const username = otpItem.fields?.find((f) => f.id === 'username');
      if (!username) throw new Error('no username field');
      username.value = 'otp-user-2';
      const updated = await op.updateItem(vaultA, otpItem);
      expect(updated.version).toBe(2);
      expect(updated.fields?.find((f) => f.id === otpField?.id)).toMatchObject({
        value: OTP_URI,
        type: 'OTP',
      });
      expect(await op.getItemOTP(vaultA, 'OTP login')).toMatch(/^\d{6}$/);

      const holder = await op.getItem(vaultA, fileItem);
      expect(holder.files).toHaveLength(2);
      holder.tags = ['has files'];
      expect(await op.updateItem(vaultA, holder)).toMatchObject({ version: 2, tags: ['has files'] });
      expect((await op.listFiles(vaultA, fileItem)).map((f) => f.id).sort()).toEqual(
        [textFileId, binaryFileId].sort(),
      );

      const after = await op.getVault(vaultA);
      expect(after.contentVersion).toBeGreaterThan(before.contentVersion ?? Number.POSITIVE_INFINITY);
      expect(after.items).toBe(before.items);
    });

    it('deleteItem by id and by title, deleteItemById, deleteItemByTitle: gone for good (404)', async () => {
      const make = async (title: string) =>
        (
          await op.createItem(
            vaultA,
            new ItemBuilder().setCategory(ItemCategory.Password).setTitle(title).build(),
          )
        ).id ?? '';
      const [one, two, three, four] = [
        await make('Doomed 1'),
        await make('Doomed 2'),
        await make('Doomed 3'),
        await make('Doomed 4'),
      ];

      await expect(op.deleteItem(vaultA, one)).resolves.toBeUndefined();
      await op.deleteItem(vaultA, 'Doomed 2');
      await op.deleteItemById(vaultA, three);
      await op.deleteItemByTitle(vaultA, 'Doomed 4');
      for (const id of [one, two, three, four]) {
        await expectRejects(op.getItem(vaultA, id), 404);
      }
      await expectRejects(op.getItemByTitle(vaultA, 'Doomed 1'), 404);
      await expectRejects(op.deleteItemById(vaultA, one), 404);
      const left = (await op.listItems(vaultA)).map((i) => i.id);
      for (const id of [one, two, three, four]) expect(left).not.toContain(id);

      await op.deleteItem(vaultA, created.id ?? '');
      await expectRejects(op.getItem(vaultA, created.id ?? ''), 404);
    });

    it('listFiles and getFileById, by ids and by titles', async () => {
      const files = await op.listFiles(vaultA, fileItem);
      expect(files).toHaveLength(2);
      const text = files.find((f) => f.id === textFileId);
      expect(text).toMatchObject({
        name: 'notes.txt',
        size: TEXT_FILE.length,
        content_path: `/v1/vaults/${vaultA}/items/${fileItem}/files/${textFileId}/content`,
      });
      expect(files.find((f) => f.id === binaryFileId)).toMatchObject({
        name: 'blob.bin',
        size: BINARY_FILE.length,
      });
      expect((await op.listFiles(VAULT_A_NAME, 'File holder')).map((f) => f.id).sort()).toEqual(
        [textFileId, binaryFileId].sort(),
      );

      expect(await op.getFileById(vaultA, fileItem, binaryFileId)).toMatchObject({
        id: binaryFileId,
        name: 'blob.bin',
        size: BINARY_FILE.length,
        content_path: `/v1/vaults/${vaultA}/items/${fileItem}/files/${binaryFileId}/content`,
      });
      expect(await op.getFileById(VAULT_A_NAME, 'File holder', textFileId)).toMatchObject({
        id: textFileId,
        name: 'notes.txt',
      });
      await expectRejects(op.getFileById(vaultA, fileItem, 'c'.repeat(26)), 404);
      // The files also show on the item.
      const item = await op.getItem(vaultA, fileItem);
      expect(item.files?.map((f) => f.id).sort()).toEqual([textFileId, binaryFileId].sort());
    });

    it('getFileContent and getFileContentStream: the exact bytes, text and binary', async () => {
      // getFileContent decodes UTF-8 (SDK behaviour), so it is exact for text.
      expect(await op.getFileContent(vaultA, fileItem, textFileId)).toBe(TEXT_FILE.toString('utf8'));
      expect(await op.getFileContent(VAULT_A_NAME, 'File holder', textFileId)).toBe(
        TEXT_FILE.toString('utf8'),
      );

      const stream = (await op.getFileContentStream(vaultA, fileItem, binaryFileId)) as Readable;
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
      const bytes = Buffer.concat(chunks);
      expect(bytes.length).toBe(BINARY_FILE.length);
      expect(bytes.equals(BINARY_FILE)).toBe(true);

      // The content route on the wire: octet-stream with a Content-Disposition naming the file.
      const raw = await fetch(
        `${connectUrl}/v1/vaults/${vaultA}/items/${fileItem}/files/${binaryFileId}/content`,
        {
          headers: { authorization: `Bearer ${fullToken.token}` },
        },
      );
      expect(raw.status).toBe(200);
      expect(raw.headers.get('content-type')).toMatch(/^application\/octet-stream/);
      expect(raw.headers.get('content-disposition')).toMatch(/blob\.bin/);
      expect(Buffer.from(await raw.arrayBuffer()).equals(BINARY_FILE)).toBe(true);

      // Inline content: base64 under the limit, 413 pointing at the content route over it.
      const auth = { headers: { authorization: `Bearer ${fullToken.token}` } };
      const filesUrl = `${connectUrl}/v1/vaults/${vaultA}/items/${fileItem}/files`;
      const inline = await fetch(`${filesUrl}/${textFileId}?inline_files=true`, auth);
      expect(inline.status).toBe(200);
      expect(
        Buffer.from(((await inline.json()) as { content: string }).content, 'base64').equals(TEXT_FILE),
      ).toBe(true);
      const tooBig = await fetch(`${filesUrl}/${binaryFileId}?inline_files=true`, auth);
      expect(tooBig.status).toBe(413);
      expect(((await tooBig.json()) as { message: string }).message).toContain(
        `/files/${binaryFileId}/content`,
      );
    });
  });

  describe('token scope as the SDK sees it', () => {
    it('a token for vault A lists only vault A and is refused (403) on vault B', async () => {
      const onlyA = sdk(onlyAToken.token);
      expect((await onlyA.listVaults()).map((v) => v.id)).toEqual([vaultA]);
      expect((await onlyA.getVault(vaultA)).id).toBe(vaultA);
      expect((await onlyA.listItems(vaultA)).length).toBeGreaterThan(0);
      await expectRejects(onlyA.getVault(vaultB), 403);
      await expectRejects(onlyA.listItems(vaultB), 403);
      await expectRejects(onlyA.getItem(vaultB, itemB), 403);
      await expectRejects(onlyA.getItemById(vaultB, itemB), 403);
      await expectRejects(
        onlyA.createItem(vaultB, new ItemBuilder().setCategory(ItemCategory.Password).setTitle('x').build()),
        403,
      );
      await expectRejects(onlyA.deleteItemById(vaultB, itemB), 403);
      // By title the vault is simply not found among the vaults the token sees.
      await expectRejects(onlyA.getVault('SDK vault B'), 404);
      // Vault B's item is still there.
      expect((await op.getItem(vaultB, itemB)).title).toBe('B secret');
    });

    it('a read-only token reads but every write is refused with 403', async () => {
      const reader = sdk(readOnlyToken.token);
      const id = seeded.get('Database & cache') ?? '';
      const item = await reader.getItem(vaultA, id);
      expect(item.title).toBe('Database & cache');
      await expectRejects(
        reader.createItem(
          vaultA,
          new ItemBuilder().setCategory(ItemCategory.Password).setTitle('nope').build(),
        ),
        403,
      );
      item.title = 'changed by a reader';
      await expectRejects(reader.updateItem(vaultA, item), 403);
      await expectRejects(reader.deleteItem(vaultA, id), 403);
      const after = await op.getItem(vaultA, id);
      expect(after).toMatchObject({ title: 'Database & cache', version: 1 });
      await expectRejects(reader.getItemByTitle(vaultA, 'nope'), 404);
    });

    it('a revoked token gets 401 on its next call', async () => {
      const client = sdk(revocableToken.token);
      expect((await client.listVaults()).map((v) => v.id)).toEqual([vaultA]);
      await fixture.admin.call('DELETE', `/tokens/${revocableToken.id}`);
      await afterAccessChange(() => expectRejects(client.listVaults(), 401));
      await expectRejects(client.getItem(vaultA, seeded.get('OTP login') ?? ''), 401);
      // Other tokens are unaffected.
      expect((await sdk(onlyAToken.token).listVaults()).map((v) => v.id)).toEqual([vaultA]);
    });

    it('a token of another Connect server is 401 here, and works on its own server', async () => {
      await expectRejects(sdk(otherServerToken.token).listVaults(), 401);
      const own = OnePasswordConnect({
        serverURL: otherConnectUrl,
        token: otherServerToken.token,
        keepAlive: true,
      });
      expect((await own.listVaults()).map((v) => v.id)).toEqual([vaultA]);
      // And the first server's tokens are refused there.
      const wrong = OnePasswordConnect({
        serverURL: otherConnectUrl,
        token: fullToken.token,
        keepAlive: true,
      });
      await expectRejects(wrong.listVaults(), 401);
    });

    it('a token that is not a Connect token of this server is 401', async () => {
      await expectRejects(sdk('not-a-token').listVaults(), 401);
      await expectRejects(sdk(fixture.init.adminToken).listVaults(), 401);
      const [header = '', payload = ''] = fullToken.token.split('.');
      await expectRejects(sdk(`${header}.${payload}.AAAA`).listVaults(), 401);
    });

    it('a vault taken away from the server is out of reach even for tokens granted it (403; 404 on a standalone node)', async () => {
      const [twin, otherTwin] = twinVaults;
      expect((await op.getVault(twin ?? '')).id).toBe(twin);
      await fixture.admin.call('PATCH', `/servers/${serverId}`, { removeVaults: [twin] });
      await afterAccessChange(async () => {
        const listed = (await op.listVaults()).map((v) => v.id);
        expect(listed).not.toContain(twin);
        expect(listed).toContain(otherTwin);
      });
      await expectRejects(op.getVault(twin ?? ''), unreachableVault);
      await expectRejects(op.listItems(twin ?? ''), unreachableVault);
      // The title is now unique among the vaults the token sees.
      expect((await op.getVault('Twin vault')).id).toBe(otherTwin);
    });
  });
}
