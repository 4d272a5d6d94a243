import { describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import {
  detailGrants,
  detailScopes,
  heldDetails,
  parseAuthorizationDetails,
} from '../../src/domain/oauth/authorization-details.js';
import { inWords } from '../../src/domain/oauth/consent-details.js';
import { OAuthError } from '../../src/domain/oauth/oauth-error.js';

const v1 = newId();
const v2 = newId();
const i1 = newId();

describe('parseAuthorizationDetails (RFC 9396, keyhold_vault)', () => {
  it('takes vaults, items of one vault and actions, in one order of actions', () => {
    expect(
      parseAuthorizationDetails(
        JSON.stringify([
          { type: 'keyhold_vault', vaults: [v1], items: [i1], actions: ['write', 'read'] },
          { type: 'keyhold_vault', vaults: [v1, v2], actions: ['read'] },
        ]),
      ),
    ).toEqual([
      { type: 'keyhold_vault', vaults: [v1], items: [i1], actions: ['read', 'write'] },
      { type: 'keyhold_vault', vaults: [v1, v2], actions: ['read'] },
    ]);
  });

  it.each([
    ['null', 'must be a JSON array'],
    ['[null]', 'authorization_details[0] must be a JSON object'],
    ['[[]]', 'authorization_details[0] must be a JSON object'],
    ['[{}]', 'authorization_details[0].type is missing'],
    [
      `[{"type":"keyhold_vault","vaults":"${v1}","actions":["read"]}]`,
      'vaults must be a non-empty JSON array',
    ],
    [`[{"type":"keyhold_vault","vaults":["${v1}","${v1}"],"actions":["read"]}]`, 'names a vault twice'],
    [`[{"type":"keyhold_vault","vaults":["${v1}"],"actions":["read","read"]}]`, 'names an action twice'],
    [
      `[{"type":"keyhold_vault","vaults":["${v1}"],"items":[],"actions":["read"]}]`,
      'items must be a non-empty',
    ],
    [`[{"type":"keyhold_vault","vaults":[1],"actions":["read"]}]`, 'not a vault id'],
    [
      `[{"type":"keyhold_vault","vaults":["${v1}"],"actions":["read"],"__proto__":1}]`,
      'unknown field `__proto__`',
    ],
    ['[{"type":"a\\"b\\\\c\\u0001"}]', 'type `a?b?c?` is not supported'],
  ])('refuses %s as invalid_authorization_details', (raw, message) => {
    const result = parseAuthorizationDetails(raw);
    expect(result).toBeInstanceOf(OAuthError);
    expect((result as OAuthError).code).toBe('invalid_authorization_details');
    expect((result as OAuthError).status).toBe(400);
    expect((result as OAuthError).message).toContain(message);
  });

  it('bounds the parameter, the vaults and the items', () => {
    const many = (n: number) => Array.from({ length: n }, () => newId());
    const refusal = (detail: object) =>
      (
        parseAuthorizationDetails(
          JSON.stringify([{ type: 'keyhold_vault', actions: ['read'], ...detail }]),
        ) as OAuthError
      ).message;
    expect(refusal({ vaults: many(21) })).toContain('names 21 vaults; at most 20');
    expect(refusal({ vaults: [v1], items: many(51) })).toContain('names 51 items; at most 50');
    expect((parseAuthorizationDetails(' '.repeat(16_385)) as OAuthError).message).toContain('longer than');
  });

  it('takes fields of the items of a read, and tells a field entry from the same entry without', () => {
    const withFields = {
      type: 'keyhold_vault',
      vaults: [v1],
      items: [i1],
      fields: ['password'],
      actions: ['read'],
    };
    const parsed = parseAuthorizationDetails(JSON.stringify([withFields])) as never[];
    expect(parsed).toEqual([withFields]);
    const whole = parseAuthorizationDetails(
      JSON.stringify([{ type: 'keyhold_vault', vaults: [v1], items: [i1], actions: ['read'] }]),
    ) as never[];
    expect(heldDetails(whole, parsed)).toHaveLength(0);
    expect(heldDetails(parsed, whole)).toHaveLength(0);
    expect(detailGrants(parsed)[0]?.fields).toEqual(new Set(['password']));
    expect(detailGrants(whole)[0]?.fields).toBeNull();
  });

  it.each([
    [{ vaults: [v1], fields: ['password'], actions: ['read'] }, 'fields narrows items: name the items'],
    [{ vaults: [v1], items: [i1], fields: ['password'], actions: ['write'] }, 'fields narrows a read only'],
    [
      { vaults: [v1], items: [i1], fields: ['password'], actions: ['read', 'write'] },
      'its actions must be read alone',
    ],
    [{ vaults: [v1], items: [i1], fields: [], actions: ['read'] }, 'fields must be a non-empty JSON array'],
    [
      { vaults: [v1], items: [i1], fields: 'password', actions: ['read'] },
      'fields must be a non-empty JSON array',
    ],
    [{ vaults: [v1], items: [i1], fields: [''], actions: ['read'] }, 'a field id is a non-empty string'],
    [{ vaults: [v1], items: [i1], fields: [7], actions: ['read'] }, 'holds `7`: a field id'],
    [{ vaults: [v1], items: [i1], fields: ['a', 'a'], actions: ['read'] }, 'names a field twice'],
    [{ vaults: [v1], items: [i1], fields: ['a\nb'], actions: ['read'] }, 'control character'],
    [{ vaults: [v1], items: [i1], fields: ['x'.repeat(257)], actions: ['read'] }, 'longer than 256'],
    [
      { vaults: [v1], items: [i1], fields: Array.from({ length: 21 }, (_, n) => `f${n}`), actions: ['read'] },
      'names 21 fields; at most 20',
    ],
  ])('refuses fields in %j', (detail, message) => {
    const result = parseAuthorizationDetails(JSON.stringify([{ type: 'keyhold_vault', ...detail }]));
    expect(result).toBeInstanceOf(OAuthError);
    expect((result as OAuthError).code).toBe('invalid_authorization_details');
    expect((result as OAuthError).message).toContain(message);
  });

  it('stands for one-vault scopes, and compares entries whatever their order', () => {
    const [a, b] = parseAuthorizationDetails(
      JSON.stringify([
        { type: 'keyhold_vault', vaults: [v1, v2], actions: ['read', 'write'] },
        { type: 'keyhold_vault', vaults: [v1], items: [i1], actions: ['read'] },
      ]),
    ) as [never, never];
    expect(detailScopes([a, b]).sort()).toEqual(
      [`vault:${v1}:read`, `vault:${v1}:write`, `vault:${v2}:read`, `vault:${v2}:write`].sort(),
    );
    const reordered = parseAuthorizationDetails(
      JSON.stringify([{ type: 'keyhold_vault', actions: ['write', 'read'], vaults: [v2, v1] }]),
    ) as never[];
    expect(heldDetails(reordered, [a])).toHaveLength(1);
    expect(heldDetails(reordered, [b])).toHaveLength(0);
  });
});

describe('consent words', () => {
  it('says what each entry allows, in the user’s names', () => {
    expect(inWords(['read'], ['Production'], ['DB password'])).toBe(
      "Read the item 'DB password' in vault 'Production'",
    );
    expect(inWords(['read', 'write'], ['Production'], ['A', 'B', 'C'])).toBe(
      "Read, change and delete the items 'A', 'B' and 'C' in vault 'Production'",
    );
    expect(inWords(['write'], ['Production', 'Staging'], undefined)).toBe(
      "Create, change and delete every item in vaults 'Production' and 'Staging'",
    );
    expect(inWords(['read'], ['Production'], ['DB password'], ['Password', 'Username'])).toBe(
      "Read only the fields 'Password' and 'Username' of the item 'DB password' in vault 'Production'; no other field, note, URL or file of it",
    );
  });
});
