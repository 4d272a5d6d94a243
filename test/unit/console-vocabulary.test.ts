import { describe, expect, it } from 'vitest';
import * as consoleAudit from '../../console/src/audit/types.js';
import * as consoleItems from '../../console/src/vaults/types.js';
import { CATEGORIES, FIELD_TYPES, UNCREATABLE_CATEGORIES } from '../../src/domain/items/types.js';
import { AUDIT_ACTIONS, AUDIT_RESOURCE_TYPES, AUDIT_RESULTS } from '../../src/storage/ports/audit.js';

/**
 * The console's own lists of the API's words (the browser bundle does not import the server's
 * modules): they must be the server's, so a category, field type or audit word added there is
 * offered by the console too, and the console never offers one the API refuses.
 */
describe('the console speaks the API’s vocabulary', () => {
  it('offers every creatable category and every field type, and nothing else', () => {
    expect([...consoleItems.CATEGORIES].sort()).toEqual(
      CATEGORIES.filter((c) => !UNCREATABLE_CATEGORIES.has(c)).sort(),
    );
    expect([...consoleItems.FIELD_TYPES].sort()).toEqual([...FIELD_TYPES].sort());
  });

  it('filters the audit trail by the trail’s own actions, results and resource types', () => {
    expect(consoleAudit.ACTIONS).toEqual(AUDIT_ACTIONS);
    expect(consoleAudit.RESULTS).toEqual(AUDIT_RESULTS);
    expect(consoleAudit.RESOURCE_TYPES).toEqual(AUDIT_RESOURCE_TYPES);
  });
});
