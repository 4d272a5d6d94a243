import { describe, expect, it } from 'vitest';
import { describeCaller } from '../../src/cli/commands/login.js';

describe('keyhold whoami in words', () => {
  const base = { accountId: 'acct', tokenId: 'grant', operator: false } as const;

  it('names a signed-in user by email, with their name when they have one', () => {
    const user = { id: 'u1', email: 'carol@example.com', name: null };
    expect(describeCaller({ ...base, kind: 'user', role: 'member', user })).toBe(
      'user carol@example.com (role member) in account acct',
    );
    expect(
      describeCaller({ ...base, kind: 'user', role: 'member', user: { ...user, name: 'Carol Example' } }),
    ).toBe('user Carol Example <carol@example.com> (role member) in account acct');
  });

  it('names an admin token by its name and id', () => {
    expect(
      describeCaller({
        ...base,
        kind: 'admin_token',
        role: 'admin',
        token: { id: 'tok', name: 'ci deploy' },
      }),
    ).toBe('admin token ci deploy (grant, role admin) in account acct');
  });
});
