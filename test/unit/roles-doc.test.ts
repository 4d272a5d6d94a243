import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_ACTIONS, VAULT_ACTIONS } from '../../src/domain/access/actions.js';
import { ROLE_ACTIONS, ROLE_VAULT_ACTIONS } from '../../src/domain/access/decide.js';
import { ROLES } from '../../src/domain/access/roles.js';

/** docs/roles.md's tables say what decide's role tables say, cell for cell. */

const doc = readFileSync(new URL('../../docs/roles.md', import.meta.url), 'utf8');

/** The rows of the markdown table under `heading`: first cell (unquoted) → the role columns. */
function table(heading: string): { header: string[]; rows: Map<string, string[]> } {
  const section = doc.split(`## ${heading}`)[1]?.split('\n## ')[0] ?? '';
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l: string) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const [header = [], , ...body] = lines.map(cells);
  return { header, rows: new Map(body.map((r) => [(r[0] ?? '').replaceAll('`', ''), r.slice(1)])) };
}

describe('docs/roles.md', () => {
  it('lists every account permission with each role’s answer as ROLE_ACTIONS has it', () => {
    const { header, rows } = table('Account permissions');
    expect(header.slice(1, 1 + ROLES.length)).toEqual([...ROLES]);
    expect([...rows.keys()]).toEqual([...ACCOUNT_ACTIONS]);
    for (const action of ACCOUNT_ACTIONS) {
      const cells = rows.get(action) ?? [];
      ROLES.forEach((role, i) => {
        expect(cells[i]?.startsWith('yes'), `${action} / ${role}: ${cells[i]}`).toBe(
          ROLE_ACTIONS[role].has(action),
        );
      });
    }
  });

  it('lists every vault action with each role’s answer as ROLE_VAULT_ACTIONS has it', () => {
    const { header, rows } = table('Vault actions, in every vault of the account');
    expect(header.slice(1)).toEqual([...ROLES]);
    expect([...rows.keys()]).toEqual([...VAULT_ACTIONS]);
    for (const action of VAULT_ACTIONS) {
      const cells = rows.get(action) ?? [];
      ROLES.forEach((role, i) => {
        expect(cells[i] === 'yes', `${action} / ${role}`).toBe(ROLE_VAULT_ACTIONS[role].has(action));
      });
    }
  });
});
