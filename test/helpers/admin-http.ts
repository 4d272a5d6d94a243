/** The admin API of a running `keyhold serve`, over real HTTP. */

/** The admin API of `server` with `token`: `route` under /api/admin (with or without its leading slash). */
export const adminApi =
  (server: { url: string }, token: string) => (method: string, route: string, body?: unknown) =>
    fetch(`${server.url}/api/admin/${route.replace(/^\//, '')}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

/** adminApi, insisting on a 2xx: what it answered, parsed (undefined for an empty body). */
export const adminJson =
  (server: { url: string }, token: string) =>
  async <T = unknown>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await adminApi(server, token)(method, route, body);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route} on ${server.url}: ${response.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
