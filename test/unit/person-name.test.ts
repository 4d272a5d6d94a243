import { describe, expect, it } from 'vitest';
import { MAX_PERSON_NAME, personName } from '../../src/domain/text.js';

const messages = (value: unknown) => {
  const result = personName.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => i.message);
};

describe('a person’s display name', () => {
  it.each([
    ['  Ada Lovelace  ', 'Ada Lovelace'],
    ['Zoë 👩‍💻 Ødegård', 'Zoë 👩‍💻 Ødegård'],
    // Kept in NFC: an e and a combining acute accent become one é.
    ['Rene\u0301e', 'Renée'],
    ['x'.repeat(MAX_PERSON_NAME), 'x'.repeat(MAX_PERSON_NAME)],
  ])('keeps %j as %j', (given, kept) => {
    expect(personName.parse(given)).toBe(kept);
  });

  it.each([
    ['', 'must not be empty'],
    ['   ', 'must not be empty'],
    ['x'.repeat(MAX_PERSON_NAME + 1), `must be at most ${MAX_PERSON_NAME} characters`],
    ['Ada\nLovelace', 'must not contain control characters'],
    ['Ada\u0000', 'must not contain control characters'],
    ['Ada\u001b[31m', 'must not contain control characters'],
    ['Ada\u2028Lovelace', 'must not contain control characters'],
    ['Ada \u202eecalevoL', 'must not contain bidirectional control characters'],
    ['Ada \u2066x\u2069', 'must not contain bidirectional control characters'],
    ['Ada \ud800', 'must be well-formed Unicode (no lone surrogate)'],
  ])('refuses %j: %s', (given, message) => {
    expect(messages(given)).toEqual([message]);
  });

  it('refuses what is not a string', () => {
    expect(messages(42)).toHaveLength(1);
    expect(messages({ first: 'Ada' })).toHaveLength(1);
  });
});
