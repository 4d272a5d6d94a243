import { z } from 'zod';
import { CONNECT_PERMISSIONS } from '../../../domain/access/permissions.js';
import { SIGNING_KEY_STATES } from '../../../domain/connect/signing-key-service.js';
import { SIGNING_KEY_KINDS } from '../../../storage/ports.js';
import { id, time } from './common.js';

/** `ServerView` and `ConnectCredentials` (domain/connect/server-service.ts). */
export const server = z
  .strictObject({ id, name: z.string(), vaults: z.array(id), createdAt: time })
  .meta({ id: 'Server' });
const ecPrivateJwk = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string(),
  y: z.string(),
  d: z.string(),
});
export const connectCredentials = z
  .strictObject({
    kind: z.literal('keyhold-connect-credentials'),
    version: z.literal(2),
    serverId: id,
    accountId: id,
    serverSecret: z.string(),
    central: z.string().nullable(),
    serverKey: ecPrivateJwk,
    replicaKey: z.string(),
  })
  .meta({ id: 'ConnectCredentials', description: 'The credentials file (docs/connect.md); shown once.' });
export const serverWithCredentials = server
  .extend({ credentials: connectCredentials })
  .meta({ id: 'ServerWithCredentials' });

/** `TokenView` (domain/connect/token-service.ts). */
export const connectToken = z
  .strictObject({
    id,
    name: z.string(),
    serverId: id,
    vaults: z.array(z.strictObject({ vaultId: id, permissions: z.array(z.enum(CONNECT_PERMISSIONS)) })),
    createdAt: time,
    expiresAt: time.nullable(),
    revokedAt: time.nullable(),
    lastUsedAt: time.nullable().meta({
      description:
        'When the token was last let through (its newest SUCCESS or FAILURE audit event); null if never, or if retention has pruned those events',
    }),
  })
  .meta({ id: 'ConnectToken' });
export const createdConnectToken = connectToken
  .extend({ token: z.string().meta({ description: 'The Connect token (a JWT), shown once.' }) })
  .meta({ id: 'CreatedConnectToken' });

/** `SigningKeyView` (domain/connect/signing-key-service.ts); the public JWK only. */
export const signingKey = z
  .strictObject({
    kid: z.string(),
    kind: z.enum(SIGNING_KEY_KINDS),
    state: z.enum(SIGNING_KEY_STATES).meta({
      description:
        'current: signs new tokens of its kind; previous: a newer key took over, it still verifies what it signed; withdrawn: verifies nothing, for good',
    }),
    createdAt: time,
    retiredAt: time
      .nullable()
      .meta({ description: 'When a newer key took over signing; null for the current key' }),
    withdrawnAt: time.nullable().meta({
      description: 'When the key was withdrawn (no token it signed verifies since); null while it is not',
    }),
    oauthUntil: time.nullable(),
    publicJwk: z.strictObject({
      kty: z.literal('EC'),
      crv: z.literal('P-256'),
      x: z.string(),
      y: z.string(),
      kid: z.string(),
      alg: z.literal('ES256'),
      use: z.literal('sig'),
    }),
  })
  .meta({ id: 'SigningKey' });
export const signingKeys = z.strictObject({ keys: z.array(signingKey) });
