import { randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, exportJWK, generateKeyPair, importJWK, type KeyObject } from 'jose';
import { integrityError } from '../errors/app-error.js';
import { KEY_BYTES } from './envelope.js';

/**
 * A Connect server's key pair (JWE ECDH-ES, RFC 7518 §4.6, on P-256), made when the server is.
 * The central service keeps only the public half and wraps to it the data key of every vault the
 * server may reach; the private half is written to the server's credentials file and nowhere
 * else, so only a node holding that file can open what the central service sends it.
 */
export const SERVER_KEY_ALG = 'ECDH-ES+A256KW';
const CONTENT_ENC = 'A256GCM';
/**
 * A protected-header member naming the vault a wrapped key belongs to. The header is the JWE's
 * additional authenticated data, so a wrapped key moved to another vault's record fails to open,
 * as a vault key sealed under the master key does (envelope.ts `aad.vaultKey`).
 */
const VAULT_HEADER = 'keyhold_vault';

/** The public half, stored centrally. */
export interface ServerPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** The private half, for the credentials file only. */
export interface ServerPrivateJwk extends ServerPublicJwk {
  d: string;
}

export async function newServerKeyPair(): Promise<{
  publicJwk: ServerPublicJwk;
  privateJwk: ServerPrivateJwk;
}> {
  const pair = await generateKeyPair(SERVER_KEY_ALG, { crv: 'P-256', extractable: true });
  const { x, y, d } = await exportJWK(pair.privateKey);
  if (!x || !y || !d) throw new Error('the generated key pair has no P-256 coordinates');
  return { publicJwk: { kty: 'EC', crv: 'P-256', x, y }, privateJwk: { kty: 'EC', crv: 'P-256', x, y, d } };
}

export const importServerPublicKey = (jwk: ServerPublicJwk) =>
  importJWK(jwk, SERVER_KEY_ALG) as Promise<KeyObject>;
export const importServerPrivateKey = (jwk: ServerPrivateJwk) =>
  importJWK(jwk, SERVER_KEY_ALG) as Promise<KeyObject>;

const vaultName = (accountId: string, vaultId: string) => `${accountId}|${vaultId}`;

/** A vault's data key wrapped to a server's public key: a JWE in compact serialization. */
export async function wrapVaultKey(
  publicKey: KeyObject,
  vault: { accountId: string; id: string },
  key: Uint8Array,
): Promise<string> {
  return new CompactEncrypt(key)
    .setProtectedHeader({
      alg: SERVER_KEY_ALG,
      enc: CONTENT_ENC,
      [VAULT_HEADER]: vaultName(vault.accountId, vault.id),
    })
    .encrypt(publicKey);
}

/**
 * The vault's data key from its wrapped form, or an integrity error naming the vault (never the
 * cause's detail): a JWE for another key, another vault, or altered in any byte does not open.
 */
export async function unwrapVaultKey(
  privateKey: KeyObject,
  vault: { accountId: string; id: string },
  jwe: string,
): Promise<Buffer> {
  const what = `vault ${vault.id} key`;
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, privateKey, {
      keyManagementAlgorithms: [SERVER_KEY_ALG],
      contentEncryptionAlgorithms: [CONTENT_ENC],
    });
    if (
      protectedHeader[VAULT_HEADER] !== vaultName(vault.accountId, vault.id) ||
      plaintext.length !== KEY_BYTES
    )
      throw integrityError(what);
    return Buffer.from(plaintext);
  } catch (cause) {
    throw Object.assign(integrityError(what), { cause });
  }
}

/** The key that seals a node's replica (node/replica): random, kept in the credentials file. */
export const newReplicaKey = (): Buffer => randomBytes(KEY_BYTES);
