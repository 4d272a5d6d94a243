import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id (the library's default algorithm; a test asserts the `$argon2id$` prefix) with its
 * default cost (19 MiB, t=2, p=1: OWASP's recommended minimum), about 18 ms per hash here.
 */
export const hashPassword = (password: string): Promise<string> => hash(password);

export const verifyPassword = async (passwordHash: string, password: string): Promise<boolean> => {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
};

/** A generated password for users created without one: 24 base64url characters (144 bits). */
export const generatePassword = (): string => randomBytes(18).toString('base64url');
