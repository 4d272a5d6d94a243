import type { IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';

/**
 * The CLI's HTTP requests, over node:http (node:https for an https URL) rather than the global
 * `fetch`. Node's fetch is undici, loaded and compiled on first use: more CPU before the first
 * byte is sent than all the rest of a CLI command (docs/performance.md, "CLI start-up"). The answer is read whole and offered with the part of
 * fetch's Response the CLI uses.
 *
 * A request that cannot be sent rejects as fetch does: an error whose `cause` is node's socket
 * error (its `code`: ECONNREFUSED, ENOTFOUND, a certificate's), which `unreachable()` words.
 * Redirects are not followed (the admin API and the authorization server answer none).
 */
export interface CliResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface CliRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export async function httpRequest(url: URL | string, init: CliRequestInit = {}): Promise<CliResponse> {
  const target = new URL(url);
  // Loaded by the scheme it is for: node:https brings TLS, which a loopback http call never needs.
  // process.getBuiltinModule, not import(): in the CommonJS bundle an import() goes through the ES
  // module loader, whose start-up a command would pay for this one module.
  const { request } =
    target.protocol === 'https:'
      ? process.getBuiltinModule('node:https')
      : process.getBuiltinModule('node:http');
  const headers: Record<string, string | number> = { ...init.headers };
  if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
  const options: RequestOptions = { method: init.method ?? 'GET', headers };
  const answer = await new Promise<{ message: IncomingMessage; body: Buffer }>((resolve, reject) => {
    let answered = false;
    const req = request(target, options, (message) => {
      answered = true;
      const chunks: Buffer[] = [];
      message.on('data', (chunk: Buffer) => chunks.push(chunk));
      message.on('end', () => resolve({ message, body: Buffer.concat(chunks) }));
      message.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
    });
    // A write that fails once the answer has come is the service having stopped reading a body it
    // refused (a 413 before the whole upload was sent): the answer says why, so it is not an error.
    req.on('error', (error) => {
      if (!answered) reject(new TypeError('fetch failed', { cause: error }));
    });
    req.end(init.body);
  });
  return response(answer.message, answer.body);
}

function response(message: IncomingMessage, body: Buffer): CliResponse {
  const status = message.statusCode ?? 0;
  const header = (all: IncomingHttpHeaders, name: string): string | null => {
    const value = all[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  };
  return {
    status,
    statusText: message.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    headers: { get: (name) => header(message.headers, name) },
    text: async () => body.toString('utf8'),
    json: async () => JSON.parse(body.toString('utf8')) as unknown,
    arrayBuffer: async () =>
      body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
  };
}
