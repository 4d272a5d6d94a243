import type { Logger } from 'pino';
import type { ConnectCredentials } from '../../domain/connect/server-service.js';
import { untrustedCertificateHint } from '../../http/certificate-hint.js';
import type { ProxyTrust } from '../../http/client-address.js';
import { buildConnectApp, type ConnectApp } from '../../http/connect/app.js';
import { listeningUrl } from '../../http/listening-url.js';
import { loadTls, reloadTls, type TlsFiles } from '../../http/tls.js';
import { httpCentral } from '../wire/http-client.js';
import { CredentialsError } from './credentials.js';

export interface RemoteConnectOptions {
  credentials: ConnectCredentials;
  central: string;
  host: string;
  port: number;
  logger: Logger;
  limits: { json: number; file: number; inlineFile: number };
  /** OP_TLS_CERT_FILE / OP_TLS_KEY_FILE: serve HTTPS. */
  tls?: TlsFiles;
  trustProxy?: ProxyTrust | undefined;
}

export interface RemoteConnect {
  app: ConnectApp;
  url: string;
  /** Reads the TLS files again (SIGHUP); throws, keeping the old certificate, when they are unusable. */
  reloadTls?: () => void;
}

/**
 * `keyhold connect`: a Connect server in its own process, serving from the central service over
 * HTTP. It checks its credentials with the central service before it listens, so a wrong file or
 * address fails at start, not on the first application request.
 */
export async function startRemoteConnect(options: RemoteConnectOptions): Promise<RemoteConnect> {
  // Before anything is asked of the central service: a bad certificate is the operator's to fix.
  const https = options.tls ? loadTls(options.tls) : undefined;
  const central = httpCentral({ central: options.central, serverSecret: options.credentials.serverSecret });
  let me: Awaited<ReturnType<typeof central.whoami>>;
  try {
    me = await central.whoami();
  } catch (error) {
    const message = (error as Error).message;
    const hint = untrustedCertificateHint(message);
    throw new CredentialsError(
      `the central service at ${options.central} refused or did not answer: ${message}${hint ? `; ${hint}` : ''}`,
    );
  }
  if (me.serverId !== options.credentials.serverId) {
    throw new CredentialsError(
      `the central service knows these credentials as server ${me.serverId}, not ${options.credentials.serverId}`,
    );
  }
  const app = buildConnectApp({
    central,
    logger: options.logger.child({ connectServer: me.serverId }),
    limits: options.limits,
    https,
    trustProxy: options.trustProxy,
  });
  await app.listen({ host: options.host, port: options.port });
  const { tls } = options;
  return {
    app,
    url: listeningUrl(app, options.host),
    ...(tls ? { reloadTls: () => reloadTls([app.server], tls) } : {}),
  };
}
