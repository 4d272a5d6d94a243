import type { FastifyInstance } from 'fastify';
import { ingestAudit } from '../connect-server/central/audit-ingest.js';
import { ReplicaState } from '../connect-server/central/replica-state.js';
import { auditShipment, streamQuery } from '../connect-server/wire/replica-protocol.js';
import { conflict } from '../errors/app-error.js';
import type { Services } from '../services.js';
import { authenticateServer } from './connect-server-rpc.js';
import { parseInput } from './validate.js';

/** The largest audit shipment body: 1,000 events of at most about 1.5 KiB each. */
export const AUDIT_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * The replica stream of standalone Connect nodes (connect-server/wire/replica-protocol.ts): the
 * node authenticates with its server's secret, as for RPCs; the stream itself is
 * connect-server/central/replica-stream.ts.
 */
export function connectServerReplica(services: Services) {
  return async (app: FastifyInstance) => {
    app.get('/replica/stream', async (request, reply) => {
      const server = await authenticateServer(services, request);
      const query = parseInput(streamQuery, request.query, 'query');
      const key = await ReplicaState.publicKey(server);
      if (!key)
        throw conflict(
          `Connect server ${server.id} was created before Connect nodes kept a replica and has no key pair: make new credentials for it with 'keyhold server credentials ${server.id} --out FILE' and give the node that file`,
        );
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      reply.raw.flushHeaders();
      await services.replicaStreams.serve({ server, key, after: query.after, epoch: query.epoch }, reply.raw);
    });
    // At most 1,000 events of bounded fields each.
    app.post('/replica/audit', { bodyLimit: AUDIT_BODY_LIMIT }, async (request) => {
      const server = await authenticateServer(services, request);
      const shipment = parseInput(auditShipment, request.body, 'body');
      return ingestAudit(services.storage, server, shipment);
    });
  };
}
