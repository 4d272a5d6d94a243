import { RefusalSummaries } from '../../domain/audit/refusal-summaries.js';
import { ConnectVerifier } from '../../domain/connect/verifier.js';
import type { RequestContext } from '../../domain/context.js';
import { fileReads } from '../../domain/items/file-reads.js';
import { itemReads } from '../../domain/items/item-reads.js';
import { vaultReads } from '../../domain/vaults/vault-reads.js';
import { isAppError } from '../../errors/app-error.js';
import { type Authenticate, type ReadOperations, readOperations } from '../central/vault-operations.js';
import { auditRefusal } from '../refused-tokens.js';
import type { Outbox } from './replica.js';
import { servedAnswers } from './served-answers.js';
import type { SqliteReplica } from './sqlite-replica.js';

export interface NodeReads extends ReadOperations {
  /** Writes the refusal summaries still counting (domain/audit/refusal-summaries.ts). */
  close(): Promise<void>;
}

/**
 * The Connect read calls of a standalone node, answered from its replica with the central
 * service's own code: the token verified by the same ConnectVerifier (against the replica's
 * registrations, signing keys and server vault set), the same `decide()`, the same item, vault
 * and file reads over the replica's stores and the vault keys it holds, and the same audit
 * events, appended to the outbox, durably, before an answer leaves. A refused token is recorded
 * as centrally (a DENY, or counted into a refusal summary) in the outbox.
 */
export function nodeReads(
  replica: Pick<SqliteReplica, 'serverId' | 'accountId' | 'stores' | 'keys' | 'signingKeys'>,
  outbox: Outbox,
  options: { onSummaryError?: (error: unknown, count: number) => void } = {},
): NodeReads {
  const { serverId, accountId } = replica;
  const stores = { ...replica.stores, audit: outbox };
  const verifier = new ConnectVerifier(stores, replica.signingKeys);
  const refusals = new RefusalSummaries(
    outbox,
    options.onSummaryError ? { onError: options.onSummaryError } : {},
  );

  const authenticate: Authenticate = async (call, target): Promise<RequestContext> => {
    try {
      const { actor, principal } = await verifier.verify(call.token, serverId);
      return { actor, principal, requestId: call.requestId, ip: call.ip, userAgent: call.userAgent };
    } catch (error) {
      if (isAppError(error) && error.status === 401)
        await auditRefusal({ audit: outbox, refusals }, { accountId, serverId }, call, target);
      throw error;
    }
  };

  return {
    ...readOperations(
      {
        vaults: vaultReads(stores, replica.keys),
        items: itemReads(stores, replica.keys, { answers: servedAnswers() }),
        files: fileReads(stores, replica.keys),
      },
      authenticate,
    ),
    close: () => refusals.close(),
  };
}
