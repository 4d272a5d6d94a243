import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ConnectCredentials } from '../domain/connect/server-service.js';
import { buildConnectApp, type ConnectApp } from '../http/connect/app.js';
import { listeningUrl } from '../http/listening-url.js';
import { CredentialsError } from './credentials.js';
import { httpCentral } from './http-client.js';

export interface RemoteConnectOptions {
  credentials: ConnectCredentials;
  central: string;
  host: string;
  port: number;
  logger: Logger;
  limits: { json: number; file: number; inlineFile: number };
  tls?: { certFile: string; keyFile: string };
}

/**
 * `keyhold connect`: a Connect server in its own process, serving from the central service over
 * HTTP. It checks its credentials with the central service before it listens, so a wrong file or
 * address fails at start, not on the first application request.
 */
export async function startRemoteConnect(
  options: RemoteConnectOptions,
): Promise<{ app: ConnectApp; url: string }> {
  const central = httpCentral({ central: options.central, serverSecret: options.credentials.serverSecret });
  let me: Awaited<ReturnType<typeof central.whoami>>;
  try {
    me = await central.whoami();
  } catch (error) {
    throw new CredentialsError(
      `the central service at ${options.central} refused or did not answer: ${(error as Error).message}`,
    );
  }
  if (me.serverId !== options.credentials.serverId) {
    throw new CredentialsError(
      `the central service knows these credentials as server ${me.serverId}, not ${options.credentials.serverId}`,
    );
  }
  const https = options.tls
    ? { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }
    : undefined;
  const app = buildConnectApp({
    central,
    logger: options.logger.child({ connectServer: me.serverId }),
    limits: options.limits,
    ...(https ? { https } : {}),
  });
  await app.listen({ host: options.host, port: options.port });
  const url = listeningUrl(app, options.host);
  return { app, url: https ? url.replace(/^http:/, 'https:') : url };
}
