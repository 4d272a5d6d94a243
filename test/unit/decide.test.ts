import { describe, expect, it } from 'vitest';
import { ACCOUNT_ACTIONS, type AccountAction, VAULT_ACTIONS } from '../../src/domain/access/actions.js';
import {
  decide,
  fieldsReadable,
  type Principal,
  roleCovers,
  type VaultAction,
  type VaultRef,
} from '../../src/domain/access/decide.js';
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
    expect(decide(user([]), 'read', vault)).toEqual({
      allow: false,
      reason: 'no read permission on vault v1: it is not in scope',
    });
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

describe('decide() for an OAuth token with RFC 9396 authorization details', () => {
  /** Scopes for v1 read and write, a user who may do both, narrowed by `details`. */
  const detailed = (
    ...details: { vaults: string[]; items?: string[]; fields?: string[]; actions: ApiPermission[] }[]
  ): Principal => ({
    ...(oauth({ perVault: { v1: ['read', 'write'] } }, ['read', 'write']) as Extract<
      Principal,
      { kind: 'oauth' }
    >),
    details: details.map((d) => ({
      vaults: new Set(d.vaults),
      items: d.items ? new Set(d.items) : null,
      fields: d.fields ? new Set(d.fields) : null,
      actions: new Set(d.actions),
    })),
  });
  const itemA = { ...vault, item: 'a' };
  const itemB = { ...vault, item: 'b' };
  const each = { ...vault, item: 'each' };
  const readA = detailed({ vaults: ['v1'], items: ['a'], actions: ['read'] });
  const writeV1 = detailed({ vaults: ['v1'], actions: ['write'] });
  const table: [string, Principal, VaultAction, typeof itemA | typeof vault, boolean][] = [
    ['read item a: reads a', readA, 'read', itemA, true],
    ['read item a: not b', readA, 'read', itemB, false],
    ['read item a: lists the vault', readA, 'list', vault, true],
    ['read item a: lists its items, each then decided', readA, 'read', each, true],
    ['read item a: a read naming no item is refused', readA, 'read', vault, false],
    ['read item a: cannot write a', readA, 'write', itemA, false],
    ['read item a: cannot create (no item)', readA, 'write', vault, false],
    ['read item a: not in another vault', readA, 'list', { id: 'v2', accountId: 'acc' }, false],
    ['write v1: writes any item', writeV1, 'write', itemB, true],
    ['write v1: creates', writeV1, 'write', vault, true],
    ['write v1: cannot read', writeV1, 'read', itemA, false],
    ['never manage', writeV1, 'manage', vault, false],
    [
      'two entries: the union of what each allows',
      detailed(
        { vaults: ['v1'], items: ['a'], actions: ['read'] },
        { vaults: ['v1'], items: ['b'], actions: ['write'] },
      ),
      'write',
      itemB,
      true,
    ],
    [
      'a detail never outgrows the scopes',
      {
        ...(detailed({ vaults: ['v1'], actions: ['read'] }) as Extract<Principal, { kind: 'oauth' }>),
        scopes: { everyVault: new Set(), perVault: new Map() },
      },
      'read',
      itemA,
      false,
    ],
  ];
  it.each(table)('%s', (_name, principal, action, target, allowed) => {
    expect(decide(principal, action, target).allow).toBe(allowed);
  });

  describe('narrowed to fields of an item', () => {
    const fieldsA = detailed({ vaults: ['v1'], items: ['a'], fields: ['password'], actions: ['read'] });
    const narrowedA = { ...itemA, narrowed: true as const };
    const fieldsAndWrite = detailed(
      { vaults: ['v1'], items: ['a'], fields: ['password'], actions: ['read'] },
      { vaults: ['v1'], actions: ['write'] },
    );
    const cases: [string, Principal, VaultAction, VaultRef, boolean][] = [
      ['a read that narrows reads a', fieldsA, 'read', narrowedA, true],
      ['a read of the whole item (files, versions) is refused', fieldsA, 'read', itemA, false],
      ['not b, narrowed or not', fieldsA, 'read', { ...itemB, narrowed: true }, false],
      ['lists the vault', fieldsA, 'read', each, true],
      ['never writes a', fieldsA, 'write', itemA, false],
      ['a vault-wide write entry beside it still cannot change a', fieldsAndWrite, 'write', itemA, false],
      ['the write entry changes other items', fieldsAndWrite, 'write', itemB, true],
      ['and creates', fieldsAndWrite, 'write', vault, true],
      [
        'a whole-item read entry beside it reads the whole item',
        detailed(
          { vaults: ['v1'], items: ['a'], fields: ['password'], actions: ['read'] },
          { vaults: ['v1'], items: ['a'], actions: ['read'] },
        ),
        'read',
        itemA,
        true,
      ],
      [
        'a stored field entry of another shape (write) allows nothing',
        detailed({ vaults: ['v1'], items: ['a'], fields: ['password'], actions: ['write'] }),
        'write',
        itemA,
        false,
      ],
    ];
    it.each(cases)('%s', (_name, principal, action, target, allowed) => {
      expect(decide(principal, action, target).allow).toBe(allowed);
    });

    it('fieldsReadable: the union over the entries reaching the item; null for the whole item', () => {
      const two = detailed(
        { vaults: ['v1'], items: ['a'], fields: ['password'], actions: ['read'] },
        { vaults: ['v1'], items: ['a', 'b'], fields: ['username'], actions: ['read'] },
      );
      expect(fieldsReadable(two, 'v1', 'a')).toEqual(new Set(['password', 'username']));
      expect(fieldsReadable(two, 'v1', 'b')).toEqual(new Set(['username']));
      expect(fieldsReadable(readA, 'v1', 'a')).toBeNull();
      expect(fieldsReadable(user(['read']), 'v1', 'a')).toBeNull();
    });

    it('says why a whole-item read or a write is refused', () => {
      expect(decide(fieldsA, 'read', itemA)).toEqual({
        allow: false,
        reason:
          'the approved authorization details allow reading only some fields of item a: its files and versions are out of reach',
      });
      expect(decide(fieldsAndWrite, 'write', itemA).allow).toBe(false);
    });
  });

  it('explains a denial by the details, naming the item', () => {
    expect(decide(readA, 'read', itemB)).toEqual({
      allow: false,
      reason: 'no approved authorization detail allows read on item b of vault v1',
    });
  });

  it('is ignored by every other principal', () => {
    expect(decide(user(['read']), 'read', itemB).allow).toBe(true);
  });
});

/**
 * The account-level decision, written out by hand (never computed from ROLE_ACTIONS, so a change
 * to the roles must change this table too). Y: allowed; N: refused. `owner*`: an owner of the
 * operator account; `owner` here is an owner of any other account.
 */
const ACCOUNT_TABLE = `
  action              owner*  owner  admin  auditor  connect-manager  member
  accounts:manage     Y       N      N      N        N                N
  account:read        Y       Y      Y      Y        Y                N
  account:update      Y       Y      Y      N        N                N
  users:read          Y       Y      Y      Y        N                N
  users:write         Y       Y      Y      N        N                N
  vaults:create       Y       Y      Y      N        N                N
  connect:read        Y       Y      Y      Y        Y                N
  connect:write       Y       Y      Y      N        Y                N
  oauth:read          Y       Y      Y      Y        N                N
  oauth:write         Y       Y      Y      N        N                N
  grants:read         Y       Y      Y      Y        N                N
  grants:revoke       Y       Y      Y      N        N                N
  audit:read          Y       Y      Y      Y        N                N
  keys:read           Y       Y      Y      Y        N                N
  keys:rotate         Y       Y      N      N        N                N
  keys:withdraw       Y       Y      N      N        N                N
  admin-tokens:read   Y       Y      Y      Y        N                N
  admin-tokens:write  Y       Y      Y      N        N                N
`;

/** What each role may do in every vault of its account with no grant of its own. */
const VAULT_TABLE = `
  action  owner  admin  auditor  connect-manager  member
  list    Y      Y      Y        Y                N
  read    Y      Y      N        N                N
  write   Y      Y      N        N                N
  manage  Y      Y      N        N                N
`;

/** Whether the row's role may act on (or hand out) the column's role: "no more power than its own". */
const COVERS_TABLE = `
  role             owner  admin  auditor  connect-manager  member
  owner            Y      Y      Y        Y                Y
  admin            N      Y      Y        Y                Y
  auditor          N      N      Y        N                Y
  connect-manager  N      N      N        Y                Y
  member           N      N      N        N                Y
`;

function parseTable(text: string): { columns: string[]; rows: [string, boolean[]][] } {
  const [header, ...lines] = text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));
  return {
    columns: (header ?? []).slice(1),
    rows: lines.map((cells) => [cells[0] as string, cells.slice(1).map((c) => c === 'Y')]),
  };
}

const ALL_ROLES = ['owner', 'admin', 'auditor', 'connect-manager', 'member'] as const;
type AnyRole = (typeof ALL_ROLES)[number];

const tokenOf = (role: AnyRole, operator = false): Principal => ({
  kind: 'admin_token',
  accountId: 'acc',
  tokenId: 't',
  role,
  operator,
});
const personOf = (role: AnyRole, operator = false): Principal => ({
  kind: 'user',
  accountId: 'acc',
  userId: 'u',
  role,
  operator,
  vaults: new Map(),
});
const roleOf = (column: string): [AnyRole, boolean] =>
  column === 'owner*' ? ['owner', true] : [column as AnyRole, false];

describe('decide() on account actions, by principal kind and role', () => {
  const { columns, rows } = parseTable(ACCOUNT_TABLE);

  it('the table names every account action, once', () => {
    expect(rows.map(([action]) => action).sort()).toEqual([...ACCOUNT_ACTIONS].sort());
  });

  const cases = rows.flatMap(([action, allowed]) =>
    columns.flatMap((column, i) =>
      (['admin_token', 'user'] as const).map((kind) => [kind, column, action, allowed[i]] as const),
    ),
  );
  it.each(cases)('%s %s → %s: %s', (kind, column, action, allowed) => {
    const [role, operator] = roleOf(column);
    const principal = kind === 'admin_token' ? tokenOf(role, operator) : personOf(role, operator);
    const decision = decide(principal, action as AccountAction, { accountId: 'acc' });
    expect(decision.allow).toBe(allowed);
    if (!decision.allow && action !== 'accounts:manage')
      expect(decision.reason).toBe(`role ${role} does not have the ${action} permission`);
  });

  it('a non-operator owner is told managing accounts needs the operator account', () => {
    expect(decide(tokenOf('owner'), 'accounts:manage', { accountId: 'acc' })).toEqual({
      allow: false,
      reason: 'managing accounts needs an owner of the operator account',
    });
  });

  const others: [string, Principal, boolean][] = [
    ['system', { kind: 'system', accountId: 'acc' }, true],
    ['nobody', { kind: 'nobody', accountId: 'acc' }, false],
    [
      'connect',
      { kind: 'connect', accountId: 'acc', serverId: 's', grants: new Map(), serverVaults: new Set() },
      false,
    ],
    [
      'oauth',
      {
        kind: 'oauth',
        accountId: 'acc',
        userId: 'u',
        scopes: { everyVault: new Set(['read', 'write']), perVault: new Map() },
        userVaults: new Map(),
      },
      false,
    ],
  ];
  it.each(others.flatMap(([name, p, allowed]) => ACCOUNT_ACTIONS.map((a) => [name, a, p, allowed] as const)))(
    '%s → %s',
    (_name, action, principal, allowed) => {
      expect(decide(principal, action, { accountId: 'acc' }).allow).toBe(allowed);
    },
  );

  it('refuses every account action of another account, even to an operator owner and the system', () => {
    for (const action of ACCOUNT_ACTIONS) {
      expect(decide(tokenOf('owner', true), action, { accountId: 'other' }).allow).toBe(false);
      expect(decide(personOf('owner', true), action, { accountId: 'other' }).allow).toBe(false);
      expect(decide({ kind: 'system', accountId: 'acc' }, action, { accountId: 'other' }).allow).toBe(false);
    }
  });
});

describe('decide() on vault actions, by role (no grants of their own)', () => {
  const { columns, rows } = parseTable(VAULT_TABLE);
  it('the table names every vault action', () => {
    expect(rows.map(([a]) => a)).toEqual([...VAULT_ACTIONS]);
  });
  const cases = rows.flatMap(([action, allowed]) =>
    columns.flatMap((role, i) =>
      (['admin_token', 'user'] as const).map((kind) => [kind, role, action, allowed[i]] as const),
    ),
  );
  it.each(cases)('%s %s → %s: %s', (kind, role, action, allowed) => {
    const principal = kind === 'admin_token' ? tokenOf(role as AnyRole) : personOf(role as AnyRole);
    expect(decide(principal, action as VaultAction, vault).allow).toBe(allowed);
  });

  it('names the permission when a token role is refused', () => {
    expect(decide(tokenOf('auditor'), 'read', vault)).toEqual({
      allow: false,
      reason: 'role auditor does not have the read permission on vaults',
    });
  });
});

describe('decide() on the role an action touches', () => {
  const { columns, rows } = parseTable(COVERS_TABLE);
  const cases = rows.flatMap(([role, allowed]) =>
    columns.map((subject, i) => [role, subject, allowed[i]] as const),
  );
  it.each(cases)('%s on %s: %s', (role, subject, allowed) => {
    const target = { accountId: 'acc', role: subject as AnyRole };
    // Only roles that may write users or tokens at all get as far as the subject.
    const acting = ['owner', 'admin'].includes(role);
    expect(roleCovers(role as AnyRole, subject as AnyRole)).toBe(allowed);
    for (const action of ['users:write', 'admin-tokens:write'] as const) {
      expect(decide(tokenOf(role as AnyRole), action, target).allow).toBe(acting && allowed);
      expect(decide(personOf(role as AnyRole), action, target).allow).toBe(acting && allowed);
    }
  });

  it('says an admin cannot act on an owner', () => {
    expect(decide(tokenOf('admin'), 'admin-tokens:write', { accountId: 'acc', role: 'owner' })).toEqual({
      allow: false,
      reason: 'role admin cannot act on a holder of role owner (admin-tokens:write)',
    });
  });
});

describe('decide() on a role no stored row should hold (an altered row)', () => {
  // Typed as a role, read from a row someone edited: neither a made-up name nor a name every
  // object answers to (`constructor`, `__proto__`) may grant anything, or throw.
  const altered = ['root', 'constructor', '__proto__', 'toString', ''] as unknown as AnyRole[];
  it.each(altered)('%j has no account permission, no vault power, and covers nothing it lacks', (role) => {
    for (const action of ACCOUNT_ACTIONS) {
      expect(decide(tokenOf(role), action, { accountId: 'acc' })).toEqual({
        allow: false,
        reason: `role ${role} is not a role: it has no permission`,
      });
      expect(decide(personOf(role), action, { accountId: 'acc' }).allow).toBe(false);
    }
    for (const action of VAULT_ACTIONS) {
      expect(decide(tokenOf(role), action, { id: 'v1', accountId: 'acc' }).allow).toBe(false);
    }
    expect(roleCovers(role, 'member')).toBe(true);
    expect(roleCovers(role, 'auditor')).toBe(false);
    // An owner may act on it (revoke it): it holds nothing the owner lacks.
    expect(roleCovers('owner', role)).toBe(true);
  });
});

describe('decide() on the lifetime of a token a token makes', () => {
  const expiring = (expiresAt: string | null): Principal => ({ ...tokenOf('owner'), expiresAt }) as Principal;
  const at = (expiresAt: string | null) => ({ accountId: 'acc', role: 'auditor' as const, expiresAt });
  it.each([
    ['never-expiring maker, never-expiring token', null, null, true],
    ['never-expiring maker, expiring token', null, '2030-01-01T00:00:00.000Z', true],
    ['expiring maker, never-expiring token', '2030-01-01T00:00:00.000Z', null, false],
    ['expiring maker, token expiring later', '2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.001Z', false],
    [
      'expiring maker, token expiring at once with it',
      '2030-01-01T00:00:00.000Z',
      '2030-01-01T00:00:00.000Z',
      true,
    ],
    ['expiring maker, token expiring sooner', '2030-01-01T00:00:00.000Z', '2029-12-31T00:00:00.000Z', true],
  ] as const)('%s', (_name, maker, made, allowed) => {
    expect(decide(expiring(maker), 'admin-tokens:write', at(made)).allow).toBe(allowed);
  });

  it('names the maker’s expiry', () => {
    expect(decide(expiring('2030-01-01T00:00:00.000Z'), 'admin-tokens:write', at(null))).toEqual({
      allow: false,
      reason:
        'a token cannot make a token that outlives it: this one expires at 2030-01-01T00:00:00.000Z (admin-tokens:write)',
    });
  });
});
