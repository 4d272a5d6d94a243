import { describe, expect, it } from 'vitest';
import { decide, type Principal, type VaultAction } from '../../src/domain/access/decide.js';
import type { VaultPermission } from '../../src/storage/ports.js';

const vault = { id: 'v1', accountId: 'acc' };
const user = (perms: VaultPermission[]): Principal => ({
  kind: 'user',
  accountId: 'acc',
  vaults: new Map([['v1', new Set(perms)]]),
});

describe('decide()', () => {
  const table: [string, Principal, VaultAction, typeof vault, boolean][] = [
    ['admin reads own vault', { kind: 'admin', accountId: 'acc' }, 'read', vault, true],
    ['admin manages own vault', { kind: 'admin', accountId: 'acc' }, 'manage', vault, true],
    ['admin of another account', { kind: 'admin', accountId: 'other' }, 'read', vault, false],
    ['user with read reads', user(['read']), 'read', vault, true],
    ['user with read cannot write', user(['read']), 'write', vault, false],
    ['user with write cannot read', user(['write']), 'read', vault, false],
    ['user with write writes', user(['write']), 'write', vault, true],
    ['user with read cannot manage', user(['read', 'write']), 'manage', vault, false],
    ['manage implies read', user(['manage']), 'read', vault, true],
    ['manage implies write', user(['manage']), 'write', vault, true],
    ['user with nothing', user([]), 'read', vault, false],
    ['user on an ungranted vault', user(['read']), 'read', { id: 'v2', accountId: 'acc' }, false],
    ['user of another account', { ...user(['read']), accountId: 'other' } as Principal, 'read', vault, false],
  ];
  it.each(table)('%s', (_name, principal, action, target, allowed) => {
    expect(decide(principal, action, target).allow).toBe(allowed);
  });

  it('explains a denial', () => {
    expect(decide(user(['read']), 'write', vault)).toEqual({
      allow: false,
      reason: 'no write permission on vault v1',
    });
    expect(decide(user([]), 'read', vault)).toEqual({ allow: false, reason: 'vault v1 is not in scope' });
  });
});
