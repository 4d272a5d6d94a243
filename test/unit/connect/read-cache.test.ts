import { describe, expect, it } from 'vitest';
import { ReadCache } from '../../../src/connect-server/node/read-cache.js';

describe('ReadCache', () => {
  it('reads a key once until cleared, and never caches a miss', () => {
    const cache = new ReadCache<string>(10);
    const reads: string[] = [];
    const read = (key: string, value: string | undefined) => () => {
      reads.push(key);
      return value;
    };
    expect(cache.get('a', read('a', 'A'))).toBe('A');
    expect(cache.get('a', read('a', 'other'))).toBe('A');
    expect(cache.get('gone', read('gone', undefined))).toBeUndefined();
    expect(cache.get('gone', read('gone', undefined))).toBeUndefined();
    expect(reads).toEqual(['a', 'gone', 'gone']);
    cache.clear();
    expect(cache.get('a', read('a', 'A2'))).toBe('A2');
    expect(reads).toEqual(['a', 'gone', 'gone', 'a']);
  });

  it('holds at most its capacity, evicting the least recently read', () => {
    const cache = new ReadCache<number>(3);
    for (const n of [1, 2, 3]) cache.get(String(n), () => n);
    cache.get('1', () => -1); // 1 is the most recently read now
    cache.get('4', () => 4); // evicts 2
    expect(cache.size).toBe(3);
    expect(cache.get('2', () => 20)).toBe(20); // read again: it had gone (evicts 3)
    expect(cache.get('1', () => -1)).toBe(1);
    expect(cache.get('4', () => -1)).toBe(4);
    expect(cache.get('3', () => 30)).toBe(30);
  });
});
