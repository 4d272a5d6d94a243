import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aad, newDataKey, open, openJson, seal, sealJson } from '../../src/crypto/envelope.js';
import { AppError } from '../../src/errors/app-error.js';

const key = newDataKey();

describe('envelope sealing (AES-256-GCM)', () => {
  it('round-trips any bytes under the same key and AAD', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.string(), (plain, context) => {
        expect(open(key, seal(key, plain, context), context, 'x').equals(Buffer.from(plain))).toBe(true);
      }),
    );
  });

  it('uses a fresh nonce each time: sealing the same value twice gives different ciphertexts', () => {
    const a = seal(key, Buffer.from('same'), 'ctx');
    const b = seal(key, Buffer.from('same'), 'ctx');
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
  });

  it('refuses every single flipped byte with an integrity error, never garbage', () => {
    const sealed = seal(key, Buffer.from('top secret value'), 'ctx');
    for (let i = 0; i < sealed.length; i++) {
      const tampered = Buffer.from(sealed);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      expect(() => open(key, tampered, 'ctx', 'thing')).toThrowError(AppError);
      try {
        open(key, tampered, 'ctx', 'thing');
      } catch (e) {
        expect((e as AppError).code).toBe('integrity_error');
        expect((e as AppError).message).toBe('Integrity check failed for thing');
      }
    }
  });

  it('refuses a ciphertext opened under another AAD (moved to another row)', () => {
    const sealed = sealJson(key, { password: 'hunter2' }, aad.item('acc', 'vault', 'item1', 1, 'details'));
    expect(openJson(key, sealed, aad.item('acc', 'vault', 'item1', 1, 'details'), 'i')).toEqual({
      password: 'hunter2',
    });
    for (const other of [
      aad.item('acc', 'vault', 'item2', 1, 'details'),
      aad.item('acc', 'vault', 'item1', 2, 'details'),
      aad.item('acc', 'vault', 'item1', 1, 'overview'),
      aad.item('acc', 'vault2', 'item1', 1, 'details'),
      aad.item('acc2', 'vault', 'item1', 1, 'details'),
    ]) {
      expect(() => open(key, sealed, other, 'i')).toThrowError('Integrity check failed for i');
    }
  });

  it('refuses a ciphertext under another key, and truncated or unknown-format input', () => {
    const sealed = seal(key, Buffer.from('x'), 'ctx');
    expect(() => open(newDataKey(), sealed, 'ctx', 'x')).toThrowError('Integrity check failed for x');
    expect(() => open(key, sealed.subarray(0, 20), 'ctx', 'x')).toThrowError('Integrity check failed for x');
    const wrongVersion = Buffer.from(sealed);
    wrongVersion[0] = 2;
    expect(() => open(key, wrongVersion, 'ctx', 'x')).toThrowError('Integrity check failed for x');
  });
});
