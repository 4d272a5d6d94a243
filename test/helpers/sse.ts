import http from 'node:http';
import { SseParser } from '../../src/connect-server/node/sse.js';
import { type ReplicaRecord, replicaRecord } from '../../src/connect-server/wire/replica-protocol.js';

/** A replica stream read with node:http, every record parsed with the protocol's schema. */
export interface SseStream {
  status: number;
  body: string;
  records: ReplicaRecord[];
  /** Every raw `data:` line, for scans for what must never be sent. */
  raw: string[];
  /** Resolves with the first record from index `from` on that `match`es, with when it arrived. */
  waitFor(
    match: (r: ReplicaRecord) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<{ record: ReplicaRecord; at: number }>;
  closed: Promise<void>;
  close(): void;
}

export function openStream(
  base: string,
  secret: string,
  query: Record<string, string | number> = {},
): Promise<SseStream> {
  const url = new URL('/api/connect-server/v1/replica/stream', base);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { authorization: `Bearer ${secret}` } }, (res) => {
      const records: ReplicaRecord[] = [];
      const arrived: number[] = [];
      const raw: string[] = [];
      const waiters = new Set<() => void>();
      // The node's own parser: what a test sees is what a node would read.
      const parser = new SseParser();
      let body = '';
      let closedResolve: () => void = () => undefined;
      const closed = new Promise<void>((r) => {
        closedResolve = r;
      });
      res.on('data', (chunk: Buffer) => {
        if (res.statusCode !== 200) {
          body += chunk.toString('utf8');
          return;
        }
        for (const event of parser.push(chunk)) {
          raw.push(event.data);
          records.push(replicaRecord.parse(JSON.parse(event.data)));
          arrived.push(performance.now());
        }
        for (const w of [...waiters]) w();
      });
      res.on('close', () => {
        closedResolve();
        for (const w of [...waiters]) w();
      });
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        get body() {
          return body;
        },
        records,
        raw,
        closed,
        close: () => req.destroy(),
        waitFor: (match, timeoutMs = 3000, from = 0) =>
          new Promise((ok, fail) => {
            const check = () => {
              for (let i = from; i < records.length; i++) {
                const r = records[i] as ReplicaRecord;
                if (match(r)) {
                  waiters.delete(check);
                  clearTimeout(timer);
                  ok({ record: r, at: arrived[i] as number });
                  return true;
                }
              }
              return false;
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(
                new Error(
                  `no matching record within ${timeoutMs} ms; got ${JSON.stringify(records.map((r) => r.type))}`,
                ),
              );
            }, timeoutMs);
            if (!check()) waiters.add(check);
          }),
      };
      if (res.statusCode !== 200) {
        res.on('end', () => resolve(stream));
        return;
      }
      resolve(stream);
    });
    req.on('error', reject);
  });
}
