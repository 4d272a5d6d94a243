import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { LOG_LEVELS } from '../../config/log-levels.js';
import { durationSeconds } from '../duration.js';
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
  dataDir?: string;
  maxStaleness?: string;
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

/** `--max-staleness` when neither it nor KEYHOLD_CONNECT_MAX_STALENESS is given. */
export const DEFAULT_MAX_STALENESS = '1h';
/** The data directory's name beside the credentials file, when none is given. */
export const DEFAULT_DATA_DIR_NAME = 'keyhold-connect-data';

/**
 * `--max-staleness 1h` (or 30m, 90s, 2d; `0` to refuse reads whenever not in sync) in
 * milliseconds, at most 30 days: the unit letters of the other duration flags.
 */
export function parseMaxStaleness(raw: string, source = '--max-staleness'): number {
  const text = raw.trim();
  if (text === '0') return 0;
  const seconds = durationSeconds(text);
  if (seconds === undefined) {
    throw new CliError(
      `${source} ${JSON.stringify(raw)}: expected 0 or a whole number and a unit s, m, h or d (e.g. 1h, 30m, 90s, 2d)`,
    );
  }
  if (seconds > 30 * 86_400) throw new CliError(`${source} ${JSON.stringify(raw)}: must be at most 30d`);
  return seconds * 1000;
}

/**
 * Where a standalone node keeps its replica and outbox: `--data-dir`, else
 * KEYHOLD_CONNECT_DATA_DIR, else `keyhold-connect-data` beside the credentials file. Credentials
 * given as the base64 content of OP_SESSION have no directory to be beside, so one of the two
 * must be given then.
 */
export function nodeDataDir(options: {
  flag?: string | undefined;
  env?: string | undefined;
  credentialsFile?: string | undefined;
}): string {
  const given = options.flag ?? options.env;
  if (given !== undefined) {
    if (given.trim() === '') throw new CliError('--data-dir (KEYHOLD_CONNECT_DATA_DIR) is empty');
    return path.resolve(given);
  }
  if (options.credentialsFile === undefined) {
    throw new CliError(
      'no data directory: the credentials came as base64 in OP_SESSION, so there is no credentials file to keep the replica beside; pass --data-dir DIR or set KEYHOLD_CONNECT_DATA_DIR',
    );
  }
  return path.join(path.dirname(path.resolve(options.credentialsFile)), DEFAULT_DATA_DIR_NAME);
}

/** The credentials file OP_SESSION names, or undefined when it holds the file's base64. */
export const sessionFile = (value: string): string | undefined =>
  existsSync(value.trim()) ? value.trim() : undefined;

/**
 * `keyhold connect`: a Connect server as its own process. It honours the Connect environment
 * (OP_SESSION, OP_HTTP_PORT, OP_LOG_LEVEL, OP_TLS_CERT_FILE/OP_TLS_KEY_FILE), so a deployment
 * written for 1Password Connect needs only the image changed.
 */
export function registerConnect(program: Command): void {
  program
    .command('connect')
    .description(
      'run a Connect server (the 1Password Connect API) with a local encrypted replica of what its server may reach, kept in sync by a central Keyhold service',
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
      '--data-dir <dir>',
      `where the replica and the audit outbox are kept (else KEYHOLD_CONNECT_DATA_DIR, else ${DEFAULT_DATA_DIR_NAME}/ beside the credentials file; required when OP_SESSION holds the file's base64)`,
    )
    .option(
      '--max-staleness <duration>',
      `how long after its last sync with the central service reads are still served from the replica, e.g. 1h, 30m, 2d, at most 30d; 0 refuses reads whenever not in sync (else KEYHOLD_CONNECT_MAX_STALENESS, else ${DEFAULT_MAX_STALENESS})`,
    )
    .option(
      '--insecure-central',
      'allow a plain http:// central URL on a host that is not loopback (secrets then cross the network unencrypted)',
    )
    .action(async (opts: ConnectOptions) => {
      const env = process.env;
      const config = await configFrom({
        port: opts.port ?? env.OP_HTTP_PORT ?? '8080',
        host: opts.host,
        logLevel: opts.logLevel ?? env.OP_LOG_LEVEL?.toLowerCase(),
      });
      const { readCredentialsFile, readCredentialsFromSession } = await import(
        '../../connect-server/node/credentials.js'
      );
      let credentials: Awaited<ReturnType<typeof readCredentialsFile>>;
      let credentialsFile: string | undefined;
      try {
        if (opts.credentials) {
          credentials = readCredentialsFile(opts.credentials);
          credentialsFile = opts.credentials;
        } else if (env.OP_SESSION) {
          credentials = readCredentialsFromSession(env.OP_SESSION);
          credentialsFile = sessionFile(env.OP_SESSION);
        } else throw new CliError('no credentials: pass --credentials FILE or set OP_SESSION');
      } catch (error) {
        throw error instanceof CliError ? error : new CliError((error as Error).message);
      }
      if (credentials.version !== 2) {
        throw new CliError(
          `the credentials file of server ${credentials.serverId} was made before Connect nodes kept a replica, and holds no key to open one; make a new file with \`keyhold server credentials ${credentials.serverId} --out FILE\` (the old file stops working) and start with that`,
        );
      }
      const dataDir = nodeDataDir({ flag: opts.dataDir, env: env.KEYHOLD_CONNECT_DATA_DIR, credentialsFile });
      const maxStalenessMs = parseMaxStaleness(
        opts.maxStaleness ?? env.KEYHOLD_CONNECT_MAX_STALENESS ?? DEFAULT_MAX_STALENESS,
        opts.maxStaleness === undefined && env.KEYHOLD_CONNECT_MAX_STALENESS !== undefined
          ? 'KEYHOLD_CONNECT_MAX_STALENESS'
          : '--max-staleness',
      );
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
      const { replicaStore } = await import('../../connect-server/node/store.js');
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
          node: { dataDir, maxStalenessMs, store: replicaStore },
        });
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      const { reloadTls } = started;
      if (reloadTls) process.on('SIGHUP', () => reloadOnSignal(reloadTls, logger));
      logger.info(
        {
          url: started.url,
          central,
          serverId: credentials.serverId,
          dataDir,
          sync: started.syncState?.().state,
        },
        'connect server listening',
      );
      const stop = async () => {
        await started.close();
        process.exit(0);
      };
      // The server was deleted centrally: the replica is wiped; stop, and say so (exit status 1).
      void started.serverGone.then(async (reason) => {
        logger.fatal(
          { serverId: credentials.serverId, reason },
          'this Connect server was deleted on the central service (or its credentials were replaced): its replica is wiped and it stops',
        );
        await started.close();
        process.exit(1);
      });
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
    });
}
