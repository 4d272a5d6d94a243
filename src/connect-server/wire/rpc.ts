import { z } from 'zod';
import { ID_PATTERN } from '../../crypto/ids.js';
import { bounded, MAX_USER_AGENT } from '../../domain/audit/bounds.js';

/**
 * The wire format between a remote Connect server (`keyhold connect`) and the central service:
 * `POST /api/connect-server/v1/rpc/{method}` with `{call, args}`, answered `{result}`, except
 * `getItem`, answered with the item's JSON itself: it is sent on to the Connect client as it
 * comes (see domain/items/served.ts). One method per `CentralClient` method; binary content
 * travels as base64. Both sides import this file, so the two cannot drift apart.
 */
const id = z.string().regex(ID_PATTERN, 'must be a 26-character id');

export const RPC_ARGS = {
  listVaults: z.tuple([]),
  getVault: z.tuple([id]),
  listItems: z.tuple([id]),
  getItem: z.tuple([id, id]),
  createItem: z.tuple([id, z.unknown()]),
  replaceItem: z.tuple([id, id, z.unknown()]),
  patchItem: z.tuple([id, id, z.unknown()]),
  deleteItem: z.tuple([id, id]),
  listFiles: z.tuple([id, id]),
  getFile: z.tuple([id, id, id]),
  fileContent: z.tuple([id, id, id]),
  addFile: z.tuple([id, id, z.strictObject({ name: z.string().min(1).max(255), contentBase64: z.base64() })]),
  activity: z.tuple([
    z.strictObject({ limit: z.number().int().min(1).max(1000), offset: z.number().int().min(0) }),
  ]),
} as const;

export type RpcMethod = keyof typeof RPC_ARGS;
export const RPC_METHODS = Object.keys(RPC_ARGS) as RpcMethod[];

export const rpcCall = z.strictObject({
  token: z.string().max(16_384),
  requestId: z.string().min(1).max(200),
  ip: z.string().max(100).nullable(),
  // Truncated, never refused: a Connect server sends it bounded already, but one of an older
  // release sends it whole, and its client must not be refused over a header (audit/bounds.ts).
  userAgent: z
    .string()
    .nullable()
    .transform((ua) => bounded(ua, MAX_USER_AGENT)),
});

export const RPC_PATH = '/api/connect-server/v1/rpc';
