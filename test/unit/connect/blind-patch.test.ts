import { describe, expect, it } from 'vitest';
import { checkBlindPatch } from '../../../src/domain/connect/blind-patch.js';
import { parseItemPatch } from '../../../src/domain/connect/patch.js';
import { AppError } from '../../../src/errors/app-error.js';

const VAULT = 'vvvvvvvvvvvvvvvvvvvvvvvvvv';
/** The error checkBlindPatch raises for `ops`, or undefined when the patch may be sent blind. */
function refusal(ops: unknown[]): AppError | undefined {
  try {
    checkBlindPatch(parseItemPatch(ops), VAULT);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
}

describe('checkBlindPatch: what a caller without READ may PATCH', () => {
  it.each([
    [[]],
    [[{ op: 'replace', path: '/', value: { title: 't', fields: [{ label: 'a', value: 'b' }] } }]],
    [
      [
        {
          op: 'add',
          path: '',
          value: { title: 't', sections: [{ id: 's' }], fields: [{ section: { id: 's' } }] },
        },
      ],
    ],
    [[{ op: 'replace', path: '/title', value: 't' }]],
    [[{ op: 'add', path: '/category', value: 'SERVER' }]],
    [[{ op: 'remove', path: '/favorite' }]],
    [
      [
        { op: 'replace', path: '/tags', value: ['a'] },
        { op: 'remove', path: '/urls' },
      ],
    ],
    [[{ op: 'replace', path: '/fields', value: [{ label: 'x', value: 'y' }] }]],
    [[{ op: 'remove', path: '/fields' }]],
    [[{ op: 'replace', path: '/fields', value: [{ section: { id: '' } }] }]],
    [
      [
        { op: 'replace', path: '/sections', value: [{ id: 's' }] },
        { op: 'replace', path: '/fields', value: [{ section: { id: 's' } }] },
      ],
    ],
    [
      [
        { op: 'replace', path: '/', value: { title: 't' } },
        { op: 'replace', path: '/sections', value: [] },
      ],
    ],
  ])('accepts %j: its result does not depend on the stored item', (ops) => {
    expect(refusal(ops)).toBeUndefined();
  });

  it.each([
    [{ op: 'replace', path: '/fields/password/type', value: 'DATE' }, '/fields/password/type'],
    [{ op: 'replace', path: '/fields/password/value', value: 'x' }, '/fields/password/value'],
    [{ op: 'remove', path: '/fields/nope' }, '/fields/nope'],
    [{ op: 'add', path: '/fields/new', value: {} }, '/fields/new'],
    [{ op: 'add', path: '/fields', value: { label: 'x' } }, '/fields'],
    [{ op: 'add', path: '/sections', value: { label: 'x' } }, '/sections'],
    [{ op: 'replace', path: '/sections/s/label', value: 'x' }, '/sections/s/label'],
    [{ op: 'add', path: '/tags/-', value: 'x' }, '/tags/-'],
    [{ op: 'add', path: '/tags/9', value: 'x' }, '/tags/9'],
    [{ op: 'remove', path: '/urls/0' }, '/urls/0'],
  ])('refuses %j with 403 naming only the path sent', (op, path) => {
    const error = refusal([{ op: 'replace', path: '/title', value: 'ok' }, op]);
    expect(error?.status).toBe(403);
    expect(error?.code).toBe('forbidden');
    expect(error?.message).toBe(
      `patch[1]: ${JSON.stringify(path)} needs read access to vault ${VAULT}: it patches part of a list the ` +
        'caller cannot see; without read access, set whole attributes (/, /title, /category, /favorite, ' +
        '/tags, /urls, /fields, /sections) or replace the item with PUT',
    );
  });

  it('refuses sections set without fields, and fields naming a section without sections', () => {
    expect(refusal([{ op: 'remove', path: '/sections' }])?.message).toBe(
      `patch[0]: a caller without read access to vault ${VAULT} can set /sections only in a patch that also ` +
        'sets /fields (the fields it cannot see may name a section)',
    );
    expect(refusal([{ op: 'replace', path: '/fields', value: [{ section: { id: 's' } }] }])?.message).toBe(
      `a caller without read access to vault ${VAULT} can set fields that name a section only in a patch ` +
        'that also sets /sections (it cannot see the sections the item has)',
    );
  });

  it('refuses the categories a create refuses, as a create does (400)', () => {
    const message =
      ': CUSTOM and DOCUMENT items cannot be created through the API, and no item can be changed into one';
    const scalar = refusal([{ op: 'replace', path: '/category', value: 'CUSTOM' }]);
    expect([scalar?.status, scalar?.message]).toEqual([400, `patch[0].value${message}`]);
    const whole = refusal([{ op: 'replace', path: '/', value: { title: 't', category: 'DOCUMENT' } }]);
    expect([whole?.status, whole?.message]).toEqual([400, `patch[0].value.category${message}`]);
  });
});

describe('parseItemPatch: values are checked on their own, by the rules of a create', () => {
  it.each([
    [{ op: 'replace', path: '/title', value: '' }, 'patch[0].value: must not be empty or only whitespace'],
    [{ op: 'replace', path: '/favorite', value: 'yes' }, 'patch[0].value: expected boolean, got string'],
    [
      { op: 'add', path: '/tags/-', value: 'a\nb' },
      'patch[0].value: must not contain control characters (U+0000-U+001F, U+007F) or line separators (U+2028, U+2029)',
    ],
    [
      { op: 'replace', path: '/fields/x/type', value: 'FOO' },
      'patch[0].value: must be one of STRING, EMAIL, CONCEALED, URL, OTP, DATE, MONTH_YEAR, MENU',
    ],
    [
      { op: 'replace', path: '/fields/x', value: { type: 'DATE', value: 'secret-ish' } },
      'patch[0].value.value: DATE fields take YYYY-MM-DD',
    ],
    [
      { op: 'replace', path: '/fields', value: [{ id: 'a' }, { id: 'a' }] },
      'patch[0].value[1].id: "a" is already used by patch[0].value[0]',
    ],
    [
      { op: 'replace', path: '/', value: { title: 't', fields: [{ type: 'EMAIL', value: 'nope' }] } },
      'patch[0].value.fields[0].value: EMAIL fields take an address with one @ and text on both sides',
    ],
    [
      { op: 'add', path: '/fields', value: { generate: true, type: 'DATE' } },
      'patch[0].value.generate: only STRING and CONCEALED fields can be generated, this field is DATE',
    ],
  ])('%j → %s', (op, message) => {
    expect(() => parseItemPatch([op])).toThrow(message);
    try {
      parseItemPatch([op]);
    } catch (error) {
      expect((error as AppError).message).toBe(message);
    }
  });
});
