import { TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { parseReference } from '../../../src/cli/refs/reference.js';
import { Resolver } from '../../../src/cli/refs/resolver.js';
import type { RefItem, RefVault, SecretSource } from '../../../src/cli/refs/sources.js';

const PROD: RefVault = { id: 'v'.repeat(26), name: 'Production' };
const DEV: RefVault = { id: 'd'.repeat(26), name: 'dev' };
const OTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const DB: RefItem = {
  id: 'i'.repeat(26),
  title: 'Database',
  sections: [
    { id: 'admin', label: 'Admin' },
    { id: 'replica', label: 'Replica' },
  ],
  fields: [
    { id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', label: 'password', value: 'pw-main' },
    { id: 'a1', type: 'STRING', label: 'host', value: 'admin-host', section: { id: 'admin' } },
    { id: 'r1', type: 'STRING', label: 'host', value: 'replica-host', section: { id: 'replica' } },
    { id: 'otp1', type: 'OTP', label: 'one-time password', value: `otpauth://totp/x?secret=${OTP_SECRET}` },
  ],
};

/** A source over fixed data that counts its calls and the most calls in flight at once. */
function countingSource(items = 30) {
  const calls: string[] = [];
  let inFlight = 0;
  let most = 0;
  const io = async <T>(what: string, value: T): Promise<T> => {
    calls.push(what);
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 2));
    inFlight -= 1;
    return value;
  };
  const many: RefItem[] = Array.from({ length: items }, (_, n) => ({
    id: `${n}`.padStart(26, 'x'),
    title: `item ${n}`,
    fields: [{ id: 'f', type: 'STRING', label: 'f', value: `value ${n}` }],
  }));
  const all = [DB, ...many];
  const source: SecretSource = {
    description: 'test source',
    reach: ' that you can read',
    vaults: () => io('vaults', [PROD, DEV]),
    items: (vault) =>
      io(`items ${vault.name}`, vault === PROD ? all.map(({ id, title }) => ({ id, title })) : []),
    item: (vault, id) => io(`item ${id}`, vault === PROD ? all.find((i) => i.id === id) : undefined),
  };
  return { source, calls, most: () => most, many };
}

const resolve = (source: SecretSource, raw: string, now = Date.now) =>
  new Resolver(source, now).resolve(parseReference(raw));

describe('Resolver', () => {
  it('resolves names and ids, ignoring case, with and without a section', async () => {
    const { source } = countingSource();
    expect(await resolve(source, 'op://production/database/password')).toBe('pw-main');
    expect(await resolve(source, `keyhold://${PROD.id}/${DB.id}/password`)).toBe('pw-main');
    expect(await resolve(source, 'op://Production/Database/Admin/host')).toBe('admin-host');
    expect(await resolve(source, 'op://Production/Database/replica/host')).toBe('replica-host');
    expect(await resolve(source, 'op://Production/Database/r1')).toBe('replica-host');
  });

  it('answers the attributes', async () => {
    const { source } = countingSource();
    const at = Date.UTC(2026, 0, 1);
    const code = new TOTP({ secret: OTP_SECRET }).generate({ timestamp: at });
    expect(await resolve(source, 'op://Production/Database/one-time password?attribute=otp', () => at)).toBe(
      code,
    );
    expect(await resolve(source, 'op://Production/Database/password?attribute=type')).toBe('CONCEALED');
    expect(await resolve(source, 'op://Production/Database/password?attribute=purpose')).toBe('PASSWORD');
    expect(await resolve(source, 'op://Production/Database/Admin/host?attribute=id')).toBe('a1');
    expect(await resolve(source, 'op://Production/Database/a1?attribute=label')).toBe('host');
    await expect(resolve(source, 'op://Production/Database/password?attribute=otp')).rejects.toThrow(
      "op://Production/Database/password?attribute=otp: field 'password' is not a one-time password field (its type is CONCEALED)",
    );
  });

  it('says in words what it did not find, and where it looked', async () => {
    const { source } = countingSource();
    await expect(resolve(source, 'op://Prod/Database/password')).rejects.toThrow(
      "op://Prod/Database/password: no vault named or with id 'Prod' that you can read",
    );
    await expect(resolve(source, 'op://dev/Database/password')).rejects.toThrow(
      "op://dev/Database/password: no item named or with id 'Database' in vault 'dev'",
    );
    await expect(resolve(source, 'op://Production/Database/Other/host')).rejects.toThrow(
      "no section named or with id 'Other' in item 'Database'",
    );
    await expect(resolve(source, 'op://Production/Database/pasword')).rejects.toThrow(
      "no field named or with id 'pasword' in item 'Database'",
    );
    // Two fields labelled "host" in different sections: the candidates are listed.
    await expect(resolve(source, 'op://Production/Database/host')).rejects.toThrow(
      "op://Production/Database/host: 'host' names 2 fields; use an id:\n  a1  host\n  r1  host",
    );
  });

  it('requests each vault list, item list and item once per command, bounded in parallel', async () => {
    const { source, calls, most, many } = countingSource(30);
    const resolver = new Resolver(source);
    const refs = [
      ...many.map((item) => parseReference(`op://Production/${item.title}/f`)),
      ...many.map((item) => parseReference(`op://Production/${item.title}/f`)),
      parseReference('op://Production/Database/password'),
      parseReference(`op://Production/${DB.id}/password`),
    ];
    const results = await resolver.resolveAll(refs);
    expect(results.every((r) => 'value' in r)).toBe(true);
    expect(results[0]).toMatchObject({ value: 'value 0' });
    expect(calls.filter((c) => c === 'vaults')).toHaveLength(1);
    expect(calls.filter((c) => c === 'items Production')).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith('item '))).toHaveLength(31);
    expect(new Set(calls).size).toBe(calls.length);
    expect(most()).toBeLessThanOrEqual(8);
  });
});
