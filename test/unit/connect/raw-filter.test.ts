import { describe, expect, it } from 'vitest';
import { rawFilter } from '../../../src/http/connect/raw-filter.js';

describe('rawFilter', () => {
  it('is undefined without a filter parameter', () => {
    expect(rawFilter('/v1/vaults')).toBeUndefined();
    expect(rawFilter('/v1/vaults?other=1')).toBeUndefined();
    expect(rawFilter('/v1/vaults?xfilter=1')).toBeUndefined();
  });

  it('decodes %-escapes and + as a space, leaving a malformed escape as it is', () => {
    expect(rawFilter('/v?filter=title%20eq%20%22a%2Bb%22')).toBe('title eq "a+b"');
    expect(rawFilter('/v?filter=title+eq+%22a+b%22')).toBe('title eq "a b"');
    expect(rawFilter('/v?filter=title%20eq%20%22100%%20sure%22')).toBe('title eq "100% sure"');
    // A run of escapes that is not valid UTF-8 stays encoded, for the parser to refuse.
    expect(rawFilter('/v?filter=title%20eq%20%22%E2%82%22')).toBe('title eq%20%22%E2%82%22');
  });

  it('rejoins a value the JS SDK split at an unescaped &', () => {
    expect(rawFilter('/v?filter=title%20eq%20%22R&D%22')).toBe('title eq "R&D"');
    expect(rawFilter('/v?filter=title%20eq%20"path/to?x=1&y=2"')).toBe('title eq "path/to?x=1&y=2"');
  });

  it('keeps what follows the last quote up to the next &, so junk reaches the parser', () => {
    expect(rawFilter('/v?filter=title%20eq%20%22x%22%20junk&limit=5')).toBe('title eq "x" junk');
    expect(rawFilter('/v?filter=title%20eq%20%22x%22)')).toBe('title eq "x")');
    expect(rawFilter('/v?filter=title%20eq%20%22x%22&inline_files=true')).toBe('title eq "x"');
  });

  it('takes a filter without quotes up to the next &', () => {
    expect(rawFilter('/v?filter=title%20eq%20x&y=1')).toBe('title eq x');
    expect(rawFilter('/v?a=1&filter=')).toBe('');
  });
});
