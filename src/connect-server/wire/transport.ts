import http from 'node:http';
import https from 'node:https';

export interface Exchange {
  status: number;
  body: Buffer;
}

/**
 * Requests to the central service over node:http(s) with kept-alive connections. A remote Connect
 * server makes one such request per API call; fetch() cost ~0.3 ms of CPU for each (its streams
 * and promise layers), several times what the call itself costs the central service.
 *
 * Rejects with the socket error (its `code`, e.g. ECONNREFUSED, names the failure), or, with
 * `timeoutMs`, with ETIMEDOUT when the whole exchange (connect, answer, body) takes longer: a
 * central service that takes the connection and never answers, or answers a byte at a time. With
 * `idleMs`, with ETIMEDOUT when nothing moves on the connection (sent or received) for that long:
 * a central service that never answers, while a long upload or answer that keeps moving goes on.
 */
export function transport(base: URL, options: { timeoutMs?: number; idleMs?: number } = {}) {
  const client = base.protocol === 'https:' ? https : http;
  // Idle sockets are unref'd by the agent, so they never keep the process alive.
  const agent = new client.Agent({ keepAlive: true });
  return (url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string) =>
    new Promise<Exchange>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      const request = client.request(url, { method, headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) });
        });
        response.on('error', fail);
      });
      request.on('error', fail);
      if (options.idleMs !== undefined) {
        const ms = options.idleMs;
        request.setTimeout(ms, () =>
          request.destroy(
            Object.assign(new Error(`the central service sent nothing for ${ms} ms`), { code: 'ETIMEDOUT' }),
          ),
        );
      }
      if (options.timeoutMs !== undefined) {
        const ms = options.timeoutMs;
        timer = setTimeout(() => {
          request.destroy(
            Object.assign(new Error(`the central service did not answer within ${ms} ms`), {
              code: 'ETIMEDOUT',
            }),
          );
        }, ms);
        timer.unref();
      }
      request.end(body);
    });
}
