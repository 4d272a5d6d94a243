import { matchesItem } from '../../domain/connect/filter.js';
import type { ItemSummary } from '../../domain/items/item-reads.js';
import { AppError, type ErrorCode } from '../../errors/app-error.js';
import type { CentralClient, ConnectCall } from '../central/central-client.js';
import { type ReplicaRecord, replicaRecord } from './replica-protocol.js';
import { RPC_PATH, type RpcMethod } from './rpc.js';
import { type Exchange, transport } from './transport.js';

/**
 * A call to the central service whose connection sees no byte move for this long is given up (a
 * 503): a central service (or a proxy) that takes the connection and never answers would
 * otherwise hold the call, and its client, until the client gives up. An idle bound, not a
 * bound on the whole call: an upload of a large file that keeps moving is not cut.
 */
export const CENTRAL_IDLE_MS = 30_000;

/** The central service could not be reached or answered nonsense: a 503 to the Connect client. */
const unavailable = (detail: string) =>
  new AppError(503, 'central_unavailable', `The central service is unavailable: ${detail}`);

function parseJson<T>(response: Exchange): T {
  try {
    return JSON.parse(response.body.toString('utf8')) as T;
  } catch {
    throw unavailable(`HTTP ${response.status} with a body that is not JSON`);
  }
}

/**
 * The central service over HTTP, for `keyhold connect` on another machine. Errors come back as
 * the same AppError (status, code, message) the in-process client would have thrown.
 */
export function httpCentral(options: {
  central: string;
  serverSecret: string;
  /**
   * Given the records a write's answer carries (replica-protocol.ts), before the write returns:
   * a standalone node applies them to its replica, so its client reads its own write at once.
   * The write is done centrally by then, so a failure here must not fail it (the client would
   * retry a create that happened): this does not throw, and the stream brings the change anyway.
   */
  onRecords?: (records: ReplicaRecord[]) => Promise<void>;
  /** How long a call may see nothing move on its connection before it is a 503 (CENTRAL_IDLE_MS). */
  idleMs?: number;
}): CentralClient & {
  /** Checks the credentials: which server the central service takes us for. */
  whoami(): Promise<{ serverId: string; accountId: string; name: string }>;
} {
  const base = new URL(
    RPC_PATH.replace(/^\//, ''),
    options.central.endsWith('/') ? options.central : `${options.central}/`,
  );

  const send = transport(base, { idleMs: options.idleMs ?? CENTRAL_IDLE_MS });
  /** A successful answer; the error an answer carries (or a 503) when not. */
  const exchange = async (url: string, body?: unknown): Promise<Exchange> => {
    let response: Exchange;
    try {
      response =
        body === undefined
          ? await send(url, 'GET', { authorization: `Bearer ${options.serverSecret}` })
          : await send(
              url,
              'POST',
              { authorization: `Bearer ${options.serverSecret}`, 'content-type': 'application/json' },
              JSON.stringify(body),
            );
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      throw unavailable(code ?? message ?? String(error));
    }
    if (response.status >= 200 && response.status <= 299) return response;
    const json = parseJson<{ code?: ErrorCode; message?: string }>(response);
    // The central service sent only what it may show (a 500's message is already generic), so
    // the message is passed on as it came: `audit_unavailable` is a 503 that says what it is.
    throw new AppError(
      response.status,
      json.code ?? 'bad_request',
      json.message ?? `HTTP ${response.status}`,
      {
        expose: true,
      },
    );
  };
  const rpcAnswer = (method: RpcMethod, call: ConnectCall, args: unknown[]) =>
    exchange(`${base.href}/${method}`, { call, args });
  const rpc = async <T>(method: RpcMethod, call: ConnectCall, args: unknown[]): Promise<T> =>
    parseJson<{ result: T }>(await rpcAnswer(method, call, args)).result;
  /** A write: its result once the records of what it changed are applied (when anyone asks). */
  const write = async <T>(method: RpcMethod, call: ConnectCall, args: unknown[]): Promise<T> => {
    const answer = parseJson<{ result: T; records?: unknown }>(await rpcAnswer(method, call, args));
    if (options.onRecords) {
      const records = replicaRecord.array().safeParse(answer.records ?? []);
      // The write is done centrally either way; unreadable records only mean the node learns of
      // it from its stream instead, so the client is not told its write failed.
      if (records.success) await options.onRecords(records.data);
    }
    return answer.result;
  };

  return {
    whoami: async () => parseJson(await exchange(new URL('whoami', base.href.replace(/rpc$/, '')).href)),
    listVaults: (call) => rpc('listVaults', call, []),
    getVault: (call, vaultId) => rpc('getVault', call, [vaultId]),
    // The RPC lists the whole vault; a filter is applied here, as the central service would.
    listItems: async (call, vaultId, filter) => {
      const items = await rpc<ItemSummary[]>('listItems', call, [vaultId]);
      return filter ? items.filter((item) => matchesItem(filter, item)) : items;
    },
    // Answered with the item's JSON itself (rpc.ts), passed on as it came.
    getItem: async (call, vaultId, itemId) => (await rpcAnswer('getItem', call, [vaultId, itemId])).body,
    createItem: (call, vaultId, body) => write('createItem', call, [vaultId, body ?? null]),
    replaceItem: (call, vaultId, itemId, body) => write('replaceItem', call, [vaultId, itemId, body ?? null]),
    patchItem: (call, vaultId, itemId, operations) =>
      write('patchItem', call, [vaultId, itemId, operations ?? null]),
    deleteItem: (call, vaultId, itemId) => write('deleteItem', call, [vaultId, itemId]),
    listFiles: (call, vaultId, itemId) => rpc('listFiles', call, [vaultId, itemId]),
    getFile: (call, vaultId, itemId, fileId) => rpc('getFile', call, [vaultId, itemId, fileId]),
    fileContent: async (call, vaultId, itemId, fileId) => {
      const r = await rpc<{ file: Awaited<ReturnType<CentralClient['getFile']>>; contentBase64: string }>(
        'fileContent',
        call,
        [vaultId, itemId, fileId],
      );
      return { file: r.file, content: Buffer.from(r.contentBase64, 'base64') };
    },
    addFile: (call, vaultId, itemId, file) =>
      write('addFile', call, [
        vaultId,
        itemId,
        { name: file.name, contentBase64: file.content.toString('base64') },
      ]),
    activity: (call, page) => rpc('activity', call, [page]),
  };
}
