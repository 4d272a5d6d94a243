import { describe, expect, it } from 'vitest';
import { AccessEpoch } from '../../src/storage/cache/access-epoch.js';

/** A load that resolves only when the test says so, to interleave a change with a read. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('AccessEpoch caches', () => {
  it('keep what they read while nothing changed, and serve it without reading again', async () => {
    const cache = new AccessEpoch().cache<string>(10);
    let reads = 0;
    const load = async () => `v${++reads}`;
    expect(await cache.get('k', load)).toBe('v1');
    expect(await cache.get('k', load)).toBe('v1');
    expect(reads).toBe(1);
  });

  it('forget everything when access changes', async () => {
    const epoch = new AccessEpoch();
    const cache = epoch.cache<string>(10);
    let reads = 0;
    const load = async () => `v${++reads}`;
    await cache.get('k', load);
    epoch.changed();
    expect(await cache.get('k', load)).toBe('v2');
  });

  it('do not keep a read that overlapped a change: it may have seen the old state', async () => {
    const epoch = new AccessEpoch();
    const cache = epoch.cache<string>(10);
    const slow = deferred<string>();
    const racing = cache.get('k', () => slow.promise);
    epoch.changed(); // committed while the read was in flight
    slow.resolve('before the change');
    expect(await racing).toBe('before the change'); // that request overlapped the change
    expect(await cache.get('k', async () => 'after the change')).toBe('after the change');
  });

  it('never keep "not found": the next request asks again', async () => {
    const cache = new AccessEpoch().cache<string>(10);
    expect(await cache.get('k', async () => undefined)).toBeUndefined();
    expect(await cache.get('k', async () => 'created since')).toBe('created since');
  });

  it('hold at most their bound, dropping the oldest entry first', async () => {
    const cache = new AccessEpoch().cache<string>(2);
    for (const k of ['a', 'b', 'c']) await cache.get(k, async () => `${k}1`);
    expect(await cache.get('a', async () => 'a2')).toBe('a2');
    expect(await cache.get('c', async () => 'c2')).toBe('c1');
  });
});
