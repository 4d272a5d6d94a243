import { describe, expect, it } from 'vitest';
import { decide, type Principal, type VaultAction } from '../../src/domain/access/decide.js';
import type { VaultPermission } from '../../src/domain/access/permissions.js';

const vault = { id: 'v1', accountId: 'acc' };
const user = (perms: VaultPermission[]): Principal => ({
  kind: 'user',
  accountId: 'acc',
  userId: 'u1',
  role: 'member',
  operator: false,
  vaults: new Map([['v1', new Set(perms)]]),
});
const adminToken = (accountId: string): Principal => ({
  kind: 'admin_token',
  accountId,
  tokenId: 't1',
  role: 'owner',
  operator: false,
});

type ApiPermission = 'read' | 'write';
/**
 * An OAuth access token for the vault API: `everyVault` scopes (`vault:read`), `perVault` ones
 * (`vault:{id}:read`), and what its user may do in v1 now.
 */
const oauth = (
  scopes: { everyVault?: ApiPermission[]; perVault?: Record<string, ApiPermission[]> },
  userPerms: VaultPermission[],
  accountId = 'acc',
): Principal => ({
  kind: 'oauth',
  accountId,
  userId: 'u1',
  scopes: {
    everyVault: new Set(scopes.everyVault ?? []),
    perVault: new Map(Object.entries(scopes.perVault ?? {}).map(([id, p]) => [id, new Set(p)])),
  },
  userVaults: new Map([['v1', new Set(userPerms)]]),
});

describe('decide()', () => {
  const table: [string, Principal, VaultAction, typeof vault, boolean][] = [
    ['owner token reads own vault', adminToken('acc'), 'read', vault, true],
    ['owner token manages own vault', adminToken('acc'), 'manage', vault, true],
    ['owner token of another account', adminToken('other'), 'read', vault, false],
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
    // OAuth tokens: granted scope ∩ the user's permission now; never manage.
    ['oauth vault:read reads', oauth({ everyVault: ['read'] }, ['read']), 'read', vault, true],
    [
      'oauth vault:read cannot write',
      oauth({ everyVault: ['read'] }, ['read', 'write']),
      'write',
      vault,
      false,
    ],
    ['oauth vault:write writes', oauth({ everyVault: ['write'] }, ['write']), 'write', vault, true],
    [
      'oauth vault:write cannot read',
      oauth({ everyVault: ['write'] }, ['read', 'write']),
      'read',
      vault,
      false,
    ],
    ['oauth vault:v1:read reads v1', oauth({ perVault: { v1: ['read'] } }, ['read']), 'read', vault, true],
    [
      'oauth vault:v1:write writes v1',
      oauth({ perVault: { v1: ['write'] } }, ['write']),
      'write',
      vault,
      true,
    ],
    [
      'oauth vault:v1:read cannot write v1',
      oauth({ perVault: { v1: ['read'] } }, ['write']),
      'write',
      vault,
      false,
    ],
    [
      'oauth vault:v2:read cannot read v1',
      oauth({ perVault: { v2: ['read'] } }, ['read']),
      'read',
      vault,
      false,
    ],
    ['oauth without scopes', oauth({}, ['read', 'write', 'manage']), 'read', vault, false],
    ['oauth scope, user lacks read', oauth({ everyVault: ['read'] }, ['write']), 'read', vault, false],
    ['oauth scope, user lacks write', oauth({ everyVault: ['write'] }, ['read']), 'write', vault, false],
    [
      'oauth per-vault scope, user lacks read',
      oauth({ perVault: { v1: ['read'] } }, []),
      'read',
      vault,
      false,
    ],
    [
      'oauth scope, vault the user cannot see',
      oauth({ everyVault: ['read'] }, ['read']),
      'read',
      { id: 'v2', accountId: 'acc' },
      false,
    ],
    [
      'oauth scope, user manage satisfies read',
      oauth({ everyVault: ['read'] }, ['manage']),
      'read',
      vault,
      true,
    ],
    [
      'oauth scope, user manage satisfies write',
      oauth({ perVault: { v1: ['write'] } }, ['manage']),
      'write',
      vault,
      true,
    ],
    [
      'oauth never manages, even for a managing user',
      oauth({ everyVault: ['read', 'write'], perVault: { v1: ['read', 'write'] } }, ['manage']),
      'manage',
      vault,
      false,
    ],
    ['oauth of another account', oauth({ everyVault: ['read'] }, ['read'], 'other'), 'read', vault, false],
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

  it('explains an OAuth denial: scope first, then the user’s permission', () => {
    expect(decide(oauth({ everyVault: ['read'] }, ['manage']), 'manage', vault)).toEqual({
      allow: false,
      reason: 'OAuth tokens cannot manage vaults',
    });
    expect(decide(oauth({ everyVault: ['read'] }, ['read']), 'write', vault)).toEqual({
      allow: false,
      reason: 'no granted scope allows write on vault v1',
    });
    expect(decide(oauth({ everyVault: ['write'] }, ['read']), 'write', vault)).toEqual({
      allow: false,
      reason: 'no write permission on vault v1',
    });
    expect(decide(oauth({ everyVault: ['read'] }, ['read'], 'other'), 'read', vault)).toEqual({
      allow: false,
      reason: 'vault belongs to another account',
    });
  });
});
