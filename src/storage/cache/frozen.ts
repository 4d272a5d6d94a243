/**
 * Cached records are shared by every request that reads them, so nobody may change one: frozen
 * all the way down (Buffers excepted: they cannot be frozen, and nothing writes into them).
 */
export function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}
