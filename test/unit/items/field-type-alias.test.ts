import { describe, expect, it } from 'vitest';
import { applyItemPatch, parseItemPatch } from '../../../src/domain/connect/patch.js';
import { buildItemContent, parseItemInput } from '../../../src/domain/items/input.js';
import type { ConnectFullItem } from '../../../src/domain/items/present.js';

/** Connect's OpenAPI spec names the OTP field type `TOTP`; it is accepted as `OTP`, stored and served as `OTP`. */
const OTP_URI = 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

describe('the TOTP field type', () => {
  it('is read as OTP on create and replace, and stored as OTP', () => {
    const input = parseItemInput({ title: 'x', fields: [{ type: 'TOTP', label: 'otp', value: OTP_URI }] });
    expect(input.fields?.[0]?.type).toBe('OTP');
    const content = buildItemContent(input);
    expect(content.details.fields[0]).toMatchObject({ type: 'OTP', value: OTP_URI });
  });

  it('is validated as an OTP field: its value must be a TOTP definition', () => {
    const message = (() => {
      try {
        buildItemContent(parseItemInput({ title: 'x', fields: [{ type: 'TOTP', value: 'not-an-otp' }] }));
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    })();
    expect(message).toMatch(/OTP fields take an otpauth:\/\/totp\//);
  });

  it('is read as OTP when a PATCH sets it, on /fields/{id}/type or in a whole field', () => {
    const current: ConnectFullItem = {
      id: 'iiiiiiiiiiiiiiiiiiiiiiiiii',
      title: 'x',
      vault: { id: 'vvvvvvvvvvvvvvvvvvvvvvvvvv' },
      category: 'LOGIN',
      favorite: false,
      tags: [],
      version: 1,
      createdAt: '2024-05-01T10:00:00.000Z',
      updatedAt: '2024-05-01T10:00:00.000Z',
      lastEditedBy: 'token:abc',
      sections: [],
      fields: [{ id: 'code', type: 'STRING', label: 'code', value: OTP_URI }],
    };
    const retyped = parseItemInput(
      applyItemPatch(current, parseItemPatch([{ op: 'replace', path: '/fields/code/type', value: 'TOTP' }])),
    );
    expect(retyped.fields?.[0]?.type).toBe('OTP');
    const added = parseItemInput(
      applyItemPatch(
        current,
        parseItemPatch([{ op: 'add', path: '/fields', value: { type: 'TOTP', value: OTP_URI } }]),
      ),
    );
    expect(added.fields?.[1]?.type).toBe('OTP');
  });

  it('is the only alias: other spellings are refused as before', () => {
    for (const type of ['totp', 'Totp', 'HOTP', 'OTP_TOTP']) {
      expect(() => parseItemInput({ title: 'x', fields: [{ type }] }), type).toThrow(
        /^fields\.0\.type: must be one of /,
      );
    }
  });
});
