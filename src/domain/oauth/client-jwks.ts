import { invalidInput } from '../../errors/app-error.js';

/**
 * Validates the public JWK Set of a private_key_jwt client and returns it as stored JSON text.
 * Only public EC P-256 and RSA keys are accepted: a private member (`d`) means the client sent
 * its private key, which must never be stored here.
 */
export function parseClientJwks(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidInput('jwks is not valid JSON: give a JWK Set, {"keys": [...]}');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 10) {
    throw invalidInput('jwks must be a JWK Set with 1 to 10 keys: {"keys": [...]}');
  }
  for (const key of keys as Record<string, unknown>[]) {
    if (typeof key !== 'object' || key === null) throw invalidInput('every jwks key must be a JWK object');
    if ('d' in key || 'p' in key || 'k' in key) {
      throw invalidInput('jwks holds a private or symmetric key: register only the public key');
    }
    const ec =
      key.kty === 'EC' && key.crv === 'P-256' && typeof key.x === 'string' && typeof key.y === 'string';
    const rsa = key.kty === 'RSA' && typeof key.n === 'string' && typeof key.e === 'string';
    if (!ec && !rsa) throw invalidInput('jwks keys must be public EC P-256 or RSA keys');
  }
  return JSON.stringify({ keys });
}
