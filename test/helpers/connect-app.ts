import { type InjectOptions, inject, type Response } from 'light-my-request';
import { pino } from 'pino';
import { inProcessCentral } from '../../src/connect-server/central/in-process-client.js';
import type { ConnectCredentials } from '../../src/domain/connect/server-service.js';
import { buildConnectApp } from '../../src/http/connect/app.js';
import { client, type TestApp } from './app.js';

/** A Connect server's request handler, driven without a socket (light-my-request, as Fastify's inject). */
export interface InjectableConnect {
  inject(options: InjectOptions): Promise<Response>;
  close(): Promise<void>;
}

/** A Connect server of `serverId`, hosted in process over the test app's services. */
export async function connectAppFor(t: TestApp, serverId: string): Promise<InjectableConnect> {
  const app = buildConnectApp({
    central: inProcessCentral(t.services, serverId),
    logger: pino({ level: 'silent' }),
    limits: { json: t.config.bodyLimit, file: t.config.maxFileSize, inlineFile: t.config.maxInlineFileSize },
  });
  return { inject: (options) => inject(app.handle, options), close: () => app.close() };
}

/** Admin-side setup through the real admin API. */
export function adminSetup(t: TestApp, token = t.token) {
  const api = client(t.app, token);
  const ok = async (res: Awaited<ReturnType<typeof api.get>>) => {
    if (res.statusCode >= 300) throw new Error(`${res.statusCode} ${res.body}`);
    return res.json();
  };
  return {
    api,
    vault: async (name: string) => (await ok(await api.post('/vaults', { name }))) as { id: string },
    item: async (vaultId: string, body: unknown) =>
      (await ok(await api.post(`/vaults/${vaultId}/items`, body))) as { id: string },
    server: async (vaults: string[], name = 'srv') =>
      (await ok(await api.post('/servers', { name, vaults }))) as {
        id: string;
        credentials: ConnectCredentials;
      },
    token: async (
      serverId: string,
      vaults: { vaultId: string; permissions: string[] }[],
      expiresIn?: number,
    ) =>
      (await ok(
        await api.post(`/servers/${serverId}/tokens`, {
          name: 'tok',
          vaults,
          ...(expiresIn ? { expiresIn } : {}),
        }),
      )) as { id: string; token: string },
  };
}
