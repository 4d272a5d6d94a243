import { describe, expect, it } from 'vitest';
import { wantsSignedIntrospection } from '../../../src/domain/oauth/introspection-jwt.js';

/** Which `Accept` headers ask introspection for an RFC 9701 signed answer. */
describe('wantsSignedIntrospection', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['application/json', false],
    ['*/*', false],
    ['application/token-introspection+jwt', true],
    ['Application/Token-Introspection+JWT', true],
    ['application/json, application/token-introspection+jwt', true],
    ['application/token-introspection+jwt;q=0.5, application/json', true],
    ['application/token-introspection+jwt; q=0', false],
    ['application/token-introspection+jwtx', false],
  ])('%j → %s', (accept, expected) => {
    expect(wantsSignedIntrospection(accept)).toBe(expected);
  });
});
