/**
 * The write-only PATCH battery of issue 15: what a caller with WRITE but not READ sends to learn
 * about an item, and what it must be answered. Shared by the in-process test and the end-to-end
 * test (both Connect hostings and `/api/v1`), which supply the transport and the audit trail.
 */

/** The item every case is aimed at, created by a caller that may read and write. */
export const STORED_ITEM = {
  title: 'Stored title zqtitlemark',
  category: 'LOGIN',
  tags: ['zqtagmark'],
  urls: [{ href: 'https://zqurlmark.example/', label: 'zqurllabelmark' }],
  sections: [{ id: 'zqsectionid', label: 'zqsectionlabelmark' }],
  fields: [
    { id: 'username', purpose: 'USERNAME', label: 'zquserlabelmark', value: 'zqusernamevalue' },
    {
      id: 'password',
      purpose: 'PASSWORD',
      type: 'CONCEALED',
      label: 'zqpasslabel',
      value: 'zqpasswordvalue',
    },
    { id: 'zqapifieldid', type: 'CONCEALED', label: 'zqapilabelmark', value: 'zqapikeyvalue' },
    { id: 'zqhostfieldid', label: 'zqhostlabelmark', value: 'zqhostvalue', section: { id: 'zqsectionid' } },
  ],
};

/** An item so close to the 1 MiB limit that any sizeable patch of its urls is too much. */
export const LARGE_ITEM = {
  title: 'zqlargetitle',
  fields: Array.from({ length: 15 }, (_, i) => ({
    id: `zqbigfield${i}`,
    label: `zqbiglabel${i}`,
    value: `zqbigvalue${i}`.padEnd(64 * 1024 - 16, 'q'),
  })),
};

/** Everything stored that a write-only caller must never see, unless it sent it itself. */
export const STORED_SECRETS = [
  'zqtitlemark',
  'zqtagmark',
  'zqurlmark',
  'zqurllabelmark',
  'zqsectionid',
  'zqsectionlabelmark',
  'zquserlabelmark',
  'zqusernamevalue',
  'zqpasslabel',
  'zqpasswordvalue',
  'zqapifieldid',
  'zqapilabelmark',
  'zqapikeyvalue',
  'zqhostfieldid',
  'zqhostlabelmark',
  'zqhostvalue',
  'zqlargetitle',
  'zqbigfield',
  'zqbiglabel',
  'zqbigvalue',
];

export interface BatteryCase {
  name: string;
  method: 'PATCH' | 'PUT' | 'DELETE';
  /** Which item it is aimed at. */
  item: 'stored' | 'large' | 'missing';
  body?: unknown;
  status: number;
  /** The audit event the attempt must leave against the item. */
  result: 'DENY' | 'FAILURE' | 'SUCCESS';
  action: 'UPDATE' | 'DELETE';
}

const patch = (
  name: string,
  body: unknown[],
  status: number,
  item: BatteryCase['item'] = 'stored',
): BatteryCase => ({
  name,
  method: 'PATCH',
  item,
  body,
  status,
  action: 'UPDATE',
  result: status === 403 ? 'DENY' : status < 300 ? 'SUCCESS' : 'FAILURE',
});

export const BATTERY: BatteryCase[] = [
  patch('a password field made DATE', [{ op: 'replace', path: '/fields/password/type', value: 'DATE' }], 403),
  patch(
    'a concealed field made EMAIL',
    [{ op: 'replace', path: '/fields/zqapifieldid/type', value: 'EMAIL' }],
    403,
  ),
  patch('a concealed field made URL', [{ op: 'add', path: '/fields/zqapifieldid/type', value: 'URL' }], 403),
  patch('a field id that does not exist', [{ op: 'remove', path: '/fields/nosuchfield' }], 403),
  patch('a field id that exists', [{ op: 'remove', path: '/fields/username' }], 403),
  patch('a value set by id', [{ op: 'replace', path: '/fields/password/value', value: 'new' }], 403),
  patch(
    'a section id that does not exist',
    [{ op: 'replace', path: '/sections/nope/label', value: 'x' }],
    403,
  ),
  patch('an index past the end', [{ op: 'add', path: '/tags/7', value: 'x' }], 403),
  patch('an index that exists', [{ op: 'remove', path: '/urls/0' }], 403),
  patch('appending a tag (the count)', [{ op: 'add', path: '/tags/-', value: 'x' }], 403),
  patch(
    'appending a field (purposes, ids)',
    [{ op: 'add', path: '/fields', value: { purpose: 'USERNAME' } }],
    403,
  ),
  patch('sections replaced without fields', [{ op: 'replace', path: '/sections', value: [] }], 403),
  patch(
    'fields naming a section the caller cannot see',
    [{ op: 'replace', path: '/fields', value: [{ label: 'x', section: { id: 'zqsectionid' } }] }],
    403,
  ),
  patch('category CUSTOM', [{ op: 'replace', path: '/category', value: 'CUSTOM' }], 400),
  patch(
    'a whole item of category DOCUMENT',
    [{ op: 'replace', path: '/', value: { title: 'x', category: 'DOCUMENT' } }],
    400,
  ),
  patch('a blank title', [{ op: 'replace', path: '/title', value: '  ' }], 400),
  patch(
    'an invalid merged field list',
    [{ op: 'replace', path: '/fields', value: [{ type: 'DATE', value: 'not a date at all' }] }],
    400,
  ),
  patch('a read-only attribute', [{ op: 'replace', path: '/version', value: 1 }], 400),
  patch(
    'urls that make the stored item too large',
    [
      {
        op: 'replace',
        path: '/urls',
        value: Array.from({ length: 40 }, (_, i) => ({ href: `https://x${i}.example/${'p'.repeat(1900)}` })),
      },
    ],
    409,
    'large',
  ),
  patch('a missing item', [{ op: 'replace', path: '/title', value: 'x' }], 404, 'missing'),
  {
    name: 'PUT of category CUSTOM',
    method: 'PUT',
    item: 'stored',
    body: { title: 'x', category: 'CUSTOM' },
    status: 400,
    action: 'UPDATE',
    result: 'FAILURE',
  },
  {
    name: 'PUT with a value its type refuses',
    method: 'PUT',
    item: 'stored',
    body: { title: 'x', fields: [{ type: 'EMAIL', value: 'no at sign here' }] },
    status: 400,
    action: 'UPDATE',
    result: 'FAILURE',
  },
  {
    name: 'DELETE of a missing item',
    method: 'DELETE',
    item: 'missing',
    status: 404,
    action: 'DELETE',
    result: 'FAILURE',
  },
  patch(
    'a blind title change (allowed)',
    [{ op: 'replace', path: '/title', value: 'zz renamed blind' }],
    200,
  ),
];

/** The strings of `STORED_SECRETS` that `response` holds and `request` did not. */
export function leaked(response: string, request: string): string[] {
  return STORED_SECRETS.filter((secret) => response.includes(secret) && !request.includes(secret));
}

/** The keys of a write receipt, the only successful answer a write-only caller gets. */
export const RECEIPT_KEYS = ['createdAt', 'id', 'updatedAt', 'vault', 'version'];
