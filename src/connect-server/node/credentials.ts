import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ID_PATTERN } from '../../crypto/ids.js';
import {
  type ConnectCredentials,
  type LegacyConnectCredentials,
  SERVER_SECRET_PATTERN,
} from '../../domain/connect/server-service.js';
import { ProcessError } from '../../errors/process-error.js';

/** The credentials file could not be used; the message says what to fix. */
export class CredentialsError extends ProcessError {
  constructor(message: string) {
    super('credentials_invalid', message);
  }
}

/** Either version of the file. */
export type AnyCredentials = ConnectCredentials | LegacyConnectCredentials;

const base64url = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}$`), `must be ${bytes} bytes, base64url`);

const identity = {
  kind: z.literal('keyhold-connect-credentials'),
  serverId: z.string().regex(ID_PATTERN),
  accountId: z.string().regex(ID_PATTERN),
  serverSecret: z.string().regex(SERVER_SECRET_PATTERN),
  central: z.string().nullable(),
};

const credentialsSchema = z.discriminatedUnion('version', [
  z.object({ ...identity, version: z.literal(1) }),
  z.object({
    ...identity,
    version: z.literal(2),
    serverKey: z.object({
      kty: z.literal('EC'),
      crv: z.literal('P-256'),
      x: base64url(32),
      y: base64url(32),
      d: base64url(32),
    }),
    replicaKey: base64url(32),
  }),
]);

function parseDocument(text: string, source: string): AnyCredentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredentialsError(
      `${source} is not JSON; expected a Keyhold credentials file (1password-credentials.json)`,
    );
  }
  const parsed = credentialsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CredentialsError(
      `${source} is not a Keyhold credentials file: ${issue?.path.join('.') || 'document'} is missing or wrong`,
    );
  }
  return parsed.data;
}

/** Reads a credentials file from a path. */
export function readCredentialsFile(path: string): AnyCredentials {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CredentialsError(
      `cannot read credentials file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parseDocument(text, `credentials file ${path}`);
}

/**
 * `OP_SESSION` holds either a path to the credentials file or the base64 of its content (a
 * frequent source of confusion with Connect). Try the path first, then base64, and when neither
 * works say both what was tried and why each failed.
 */
export function readCredentialsFromSession(value: string): AnyCredentials {
  const trimmed = value.trim();
  let pathProblem: string;
  try {
    return readCredentialsFile(trimmed);
  } catch (error) {
    pathProblem = (error as Error).message;
  }
  if (!/^[A-Za-z0-9+/=_-]+$/.test(trimmed)) {
    throw new CredentialsError(
      `OP_SESSION is neither a readable credentials file nor base64 (${pathProblem})`,
    );
  }
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
  try {
    return parseDocument(decoded, 'OP_SESSION (decoded from base64)');
  } catch (error) {
    throw new CredentialsError(
      `OP_SESSION is neither a readable credentials file (${pathProblem}) nor the base64 of one (${(error as Error).message})`,
    );
  }
}
