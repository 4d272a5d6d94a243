import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CentralClient } from '../connect-server/central/central-client.js';
import { inProcessCentral } from '../connect-server/central/in-process-client.js';
import type { ReplicaRecord } from '../connect-server/wire/replica-protocol.js';
import { RPC_ARGS, RPC_METHODS, type RpcMethod, rpcCall } from '../connect-server/wire/rpc.js';
import { unauthorized } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { ConnectServerRecord } from '../storage/ports.js';
import { bearerToken } from './bearer.js';
import { parseInput } from './validate.js';

const params = z.strictObject({ method: z.enum(RPC_METHODS as [RpcMethod, ...RpcMethod[]]) });
const body = z.strictObject({ call: rpcCall, args: z.array(z.unknown()).max(4) });

/**
 * The central end of remote Connect servers. The server authenticates with the secret of its
 * credentials file; each call then runs through exactly the code an in-process Connect server
 * uses, so the caller's Connect token is verified here, for this server, on every call.
 */
export function connectServerRpc(services: Services, fileLimit: number) {
  const centrals = new Map<string, CentralClient>();
  const centralFor = (serverId: string) => {
    let central = centrals.get(serverId);
    if (!central) {
      central = inProcessCentral(services, serverId);
      centrals.set(serverId, central);
    }
    return central;
  };

  const authenticate = (request: Parameters<typeof bearerToken>[0]) => authenticateServer(services, request);

  return async (app: FastifyInstance) => {
    // A remote server checks its credentials here once at start, so a wrong file fails fast.
    app.get('/whoami', async (request) => {
      const server = await authenticate(request);
      return { serverId: server.id, accountId: server.accountId, name: server.name };
    });
    // base64 inflates uploads by 4/3; leave room for the JSON around them.
    app.post(
      '/rpc/:method',
      { bodyLimit: Math.ceil((fileLimit * 4) / 3) + 65_536 },
      async (request, reply) => {
        const server = await authenticate(request);
        const { method } = parseInput(params, request.params, 'path');
        const { call, args: rawArgs } = parseInput(body, request.body, 'body');
        const central = centralFor(server.id);
        const args = parseInput(RPC_ARGS[method], rawArgs, 'args');
        const result = await dispatch(central, method, call, args);
        // An item comes as its JSON already (getItem), and is the answer itself (rpc.ts).
        if (Buffer.isBuffer(result)) return reply.type('application/json; charset=utf-8').send(result);
        // A node with a replica applies what a write changed before it answers (replica-protocol.ts).
        if (server.publicKey && WRITES.has(method))
          return { result, records: await writeRecords(services, server, method, args, result) };
        return { result };
      },
    );
  };
}

const WRITES = new Set<RpcMethod>(['createItem', 'replaceItem', 'patchItem', 'deleteItem', 'addFile']);

/** The item's record after a write (replica-state.ts `afterWrite`): the item a create made, or the one named. */
function writeRecords(
  services: Services,
  server: ConnectServerRecord,
  method: RpcMethod,
  args: unknown[],
  result: unknown,
): Promise<ReplicaRecord[]> {
  const itemId = method === 'createItem' ? (result as { id: string }).id : (args[1] as string);
  return services.replicaState.afterWrite(server, args[0] as string, itemId);
}

/** The Connect server whose secret the request bears; 401 for none or an unknown one. */
export async function authenticateServer(services: Services, request: Parameters<typeof bearerToken>[0]) {
  const secret = bearerToken(request);
  const server = secret ? await services.servers.authenticate(secret) : undefined;
  if (!server) throw unauthorized('Invalid Connect server credentials');
  return server;
}

async function dispatch(
  central: CentralClient,
  method: RpcMethod,
  call: z.infer<typeof rpcCall>,
  args: unknown[],
) {
  switch (method) {
    case 'fileContent': {
      const [vaultId, itemId, fileId] = args as [string, string, string];
      const { file, content } = await central.fileContent(call, vaultId, itemId, fileId);
      return { file, contentBase64: content.toString('base64') };
    }
    case 'addFile': {
      const [vaultId, itemId, file] = args as [string, string, { name: string; contentBase64: string }];
      return central.addFile(call, vaultId, itemId, {
        name: file.name,
        content: Buffer.from(file.contentBase64, 'base64'),
      });
    }
    default:
      return (central[method] as (...x: unknown[]) => Promise<unknown>)(call, ...args);
  }
}
