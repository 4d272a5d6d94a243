import type { Command } from 'commander';
import { LOG_LEVELS } from '../../config/schema.js';
import { CliError } from '../errors.js';
import { isPlainHttpOverNetwork } from '../plain-http.js';
import { reloadOnSignal } from '../reload-signal.js';
import { configFrom } from '../settings.js';

interface ConnectOptions {
  credentials?: string;
  central?: string;
  host: string;
  port?: string;
  logLevel?: string;
  insecureCentral?: boolean;
}

/**
 * The central service's URL, checked before anything is sent to it: every call carries the
 * server secret and every answer can carry a secret value, so plain HTTP is refused unless it
 * never leaves this machine, or the operator says in so many words that the network is theirs.
 */
export function centralUrl(raw: string, insecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`the central service URL ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError(
      `the central service URL ${JSON.stringify(raw)} must be https:// (or http:// on loopback)`,
    );
  }
  if (isPlainHttpOverNetwork(url) && !insecure) {
    throw new CliError(
      `refusing the central service at ${url.origin}: plain http to a host that is not loopback would send the server secret and the secrets it serves in clear text. Use https:// (serve the central service with KEYHOLD_TLS_CERT_FILE and KEYHOLD_TLS_KEY_FILE, or behind a TLS proxy), or pass --insecure-central if the network in between is protected otherwise`,
    );
  }
  return url;
}

/**
 * `keyhold connect`: a Connect server as its own process. It honours the Connect environment
 * (OP_SESSION, OP_HTTP_PORT, OP_LOG_LEVEL, OP_TLS_CERT_FILE/OP_TLS_KEY_FILE), so a deployment
 * written for 1Password Connect needs only the image changed.
 */
export function registerConnect(program: Command): void {
  program
    .command('connect')
    .description(
      'run a Connect server (the 1Password Connect API) that serves from a central Keyhold service',
    )
    .option(
      '--credentials <file>',
      'credentials file of the server (else OP_SESSION: a path or the base64 of the file)',
    )
    .option(
      '--central <url>',
      'URL of the central service (else KEYHOLD_CENTRAL, else the one in the credentials file)',
    )
    .option('--host <host>', 'listen address; use 0.0.0.0 in a container', '127.0.0.1')
    .option('--port <port>', 'listen port (else OP_HTTP_PORT, else 8080)')
    .option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')} (else OP_LOG_LEVEL, else info)`)
    .option(
      '--insecure-central',
      'allow a plain http:// central URL on a host that is not loopback (secrets then cross the network unencrypted)',
    )
    .action(async (opts: ConnectOptions) => {
      const env = process.env;
      const config = configFrom({
        port: opts.port ?? env.OP_HTTP_PORT ?? '8080',
        host: opts.host,
        logLevel: opts.logLevel ?? env.OP_LOG_LEVEL?.toLowerCase(),
      });
      const { readCredentialsFile, readCredentialsFromSession } = await import(
        '../../connect-server/node/credentials.js'
      );
      let credentials: Awaited<ReturnType<typeof readCredentialsFile>>;
      try {
        if (opts.credentials) credentials = readCredentialsFile(opts.credentials);
        else if (env.OP_SESSION) credentials = readCredentialsFromSession(env.OP_SESSION);
        else throw new CliError('no credentials: pass --credentials FILE or set OP_SESSION');
      } catch (error) {
        throw error instanceof CliError ? error : new CliError((error as Error).message);
      }
      if (credentials.version !== 2) {
        throw new CliError(
          `the credentials file of server ${credentials.serverId} was made before Connect nodes kept a replica, and holds no key to open one; make a new file with \`keyhold server credentials ${credentials.serverId} --out FILE\` (the old file stops working) and start with that`,
        );
      }
      const central = opts.central ?? env.KEYHOLD_CENTRAL ?? credentials.central;
      if (!central) throw new CliError('no central service: pass --central URL or set KEYHOLD_CENTRAL');
      const insecure = isPlainHttpOverNetwork(centralUrl(central, opts.insecureCentral === true));
      const tlsCert = env.OP_TLS_CERT_FILE;
      const tlsKey = env.OP_TLS_KEY_FILE;
      if (Boolean(tlsCert) !== Boolean(tlsKey)) {
        throw new CliError('OP_TLS_CERT_FILE and OP_TLS_KEY_FILE must be set together');
      }
      const inlineKb = env.OP_MAX_INLINE_FILE_SIZE_KB;
      if (inlineKb !== undefined && !/^[1-9]\d{0,6}$/.test(inlineKb)) {
        throw new CliError(
          `OP_MAX_INLINE_FILE_SIZE_KB is invalid (got ${JSON.stringify(inlineKb)}): must be a positive number of KiB`,
        );
      }
      const { createLogger } = await import('../../main.js');
      const { startRemoteConnect } = await import('../../connect-server/node/start.js');
      const { proxyTrust } = await import('../../http/client-address.js');
      const logger = createLogger(config);
      if (insecure) {
        logger.warn(
          { central },
          'the central service is reached over plain http on a network (--insecure-central): the server secret and the secrets it serves are not encrypted',
        );
      }
      let started: Awaited<ReturnType<typeof startRemoteConnect>>;
      try {
        started = await startRemoteConnect({
          credentials,
          central,
          host: config.host,
          port: config.port,
          logger,
          limits: {
            json: config.bodyLimit,
            file: config.maxFileSize,
            inlineFile: inlineKb === undefined ? config.maxInlineFileSize : Number(inlineKb) * 1024,
          },
          ...(tlsCert && tlsKey
            ? {
                tls: {
                  certFile: tlsCert,
                  keyFile: tlsKey,
                  settings: { cert: 'OP_TLS_CERT_FILE', key: 'OP_TLS_KEY_FILE' },
                },
              }
            : {}),
          trustProxy: proxyTrust(config.trustProxy),
        });
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      const { reloadTls } = started;
      if (reloadTls) process.on('SIGHUP', () => reloadOnSignal(reloadTls, logger));
      logger.info({ url: started.url, central, serverId: credentials.serverId }, 'connect server listening');
      const stop = async () => {
        await started.app.close();
        process.exit(0);
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
    });
}
