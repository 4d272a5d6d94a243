import { describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/errors.js';
import { formatReference, looksLikeReference, parseReference } from '../../../src/cli/refs/reference.js';

describe('parseReference', () => {
  it('takes vault, item and field, with either scheme', () => {
    expect(parseReference('keyhold://Prod/Database/password')).toEqual({
      raw: 'keyhold://Prod/Database/password',
      scheme: 'keyhold',
      vault: 'Prod',
      item: 'Database',
      field: 'password',
      attribute: 'value',
    });
    expect(parseReference('op://dev/Stripe/publishable-key')).toMatchObject({
      scheme: 'op',
      vault: 'dev',
      item: 'Stripe',
      field: 'publishable-key',
    });
  });

  it('takes a section between item and field', () => {
    const ref = parseReference('op://Management/PagerDuty/Admin/email');
    expect(ref).toMatchObject({ vault: 'Management', item: 'PagerDuty', section: 'Admin', field: 'email' });
  });

  it('matches the scheme ignoring case, and keeps names as written', () => {
    expect(parseReference('OP://Dev/My Item/API Key')).toMatchObject({
      scheme: 'op',
      item: 'My Item',
      field: 'API Key',
    });
    expect(parseReference('Keyhold://a/b/c').scheme).toBe('keyhold');
  });

  it('keeps spaces and other characters, and decodes percent escapes', () => {
    const ref = parseReference('keyhold://Ops%20%26%20co/path%2Fto%3Fx/s%25/f%7Dg');
    expect(ref).toMatchObject({ vault: 'Ops & co', item: 'path/to?x', section: 's%', field: 'f}g' });
    expect(parseReference('op://dev/aws/Access Keys/access_key_id').section).toBe('Access Keys');
    expect(parseReference('op://Ünïcödé/秘密 🔑/x').item).toBe('秘密 🔑');
  });

  it('takes the attributes op has, ignoring case, with totp for otp', () => {
    const attr = (q: string) => parseReference(`op://v/i/f?${q}`).attribute;
    expect(parseReference('op://v/i/f').attribute).toBe('value');
    expect(attr('attribute=otp')).toBe('otp');
    expect(attr('attribute=TOTP')).toBe('otp');
    expect(attr('attribute=type')).toBe('type');
    expect(attr('attribute=id')).toBe('id');
    expect(attr('attribute=purpose')).toBe('purpose');
    expect(attr('attribute=label')).toBe('label');
    expect(attr('attribute=value')).toBe('value');
    expect(attr('')).toBe('value');
  });

  const refused = (raw: string, why: RegExp) => {
    let error: unknown;
    try {
      parseReference(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    const message = (error as CliError).message;
    expect(message.startsWith(`invalid secret reference ${JSON.stringify(raw)}: `), message).toBe(true);
    expect(message).toMatch(why);
  };

  it('refuses what is not a reference, naming it and saying why', () => {
    refused('vault/item/field', /must start with keyhold:\/\/ or op:\/\//);
    refused('https://example.com/a/b', /must start with keyhold:\/\/ or op:\/\//);
    refused('op://vault/item', /expected 3 or 4 parts after op:\/\/.*got 2/);
    refused('op://vault', /got 1/);
    refused('op://a/b/c/d/e', /got 5.*%2F/);
    refused('keyhold://a/b/c/d/e/f', /got 6/);
  });

  it('refuses empty parts, naming which', () => {
    refused('op:///item/field', /the vault is empty/);
    refused('op://vault//field', /the item is empty/);
    refused('op://vault/item/', /the field is empty/);
    refused('op://vault/item//field', /the section is empty/);
    refused('op://vault/ /field', /the item is empty/);
  });

  it('refuses a stray % and escapes that are not UTF-8', () => {
    refused('op://100%/item/field', /the vault has a "%".*%25/);
    refused('op://v/i/50%off', /the field has a "%"/);
    refused('op://v/%FF%FE/f', /not valid UTF-8/);
  });

  it('refuses unknown attributes and query parameters', () => {
    refused(
      'op://v/i/f?attribute=secret',
      /unknown attribute "secret"; known: value, otp, type, id, purpose, label/,
    );
    refused('op://v/i/f?attribute=', /unknown attribute ""/);
    refused('op://v/i/f?format=json', /unknown query parameter "format"/);
    refused('op://v/i/f?ssh-format=openssh', /ssh-format is not supported/);
    refused('op://v/i/f?attribute=otp&attribute=type', /"attribute" is given twice/);
  });
});

describe('looksLikeReference', () => {
  it('says whether a value is meant as a reference', () => {
    expect(looksLikeReference('op://a/b/c')).toBe(true);
    expect(looksLikeReference('  keyhold://a/b  ')).toBe(true);
    expect(looksLikeReference('KEYHOLD://x')).toBe(true);
    expect(looksLikeReference('postgres://u:p@h/db')).toBe(false);
    expect(looksLikeReference('op:/a/b/c')).toBe(false);
    expect(looksLikeReference('plain value')).toBe(false);
  });
});

describe('formatReference', () => {
  it('writes a reference that parses back to the same parts', () => {
    const parts = {
      scheme: 'keyhold' as const,
      vault: 'a/b',
      item: '100% ?',
      section: 'x}y',
      field: 'pass word',
      attribute: 'otp' as const,
    };
    const text = formatReference(parts);
    expect(text).toBe('keyhold://a%2Fb/100%25 %3F/x%7Dy/pass word?attribute=otp');
    expect(parseReference(text)).toEqual({ raw: text, ...parts });
  });
});
