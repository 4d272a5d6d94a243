import type { Command } from 'commander';
import type { DatabaseFlags } from '../database-options.js';
import { databaseOptions } from '../database-options.js';
import { CliError } from '../errors.js';
import { reloadOnSignal } from '../reload-signal.js';
import { configFrom } from '../settings.js';
import { renderCredentials } from './init.js';

export function registerServe(program: Command): void {
  databaseOptions(
    program
      .command('serve')
      .description(
        'run the central service (initialises the database on first start; SQLite in the data directory, or PostgreSQL with --database-url, shared by several nodes); HTTPS with KEYHOLD_TLS_CERT_FILE and KEYHOLD_TLS_KEY_FILE, reloaded on SIGHUP; KEYHOLD_TRUST_PROXY names the reverse proxies whose X-Forwarded-For is believed',
      ),
  )
    .option('--host <host>', 'listen address (env KEYHOLD_HOST, default 127.0.0.1)')
    .option('--port <port>', 'listen port (env KEYHOLD_PORT, default 8300)')
    .option('--log-level <level>', 'log level (env KEYHOLD_LOG_LEVEL, default info)')
    .option(
      '--public-url <url>',
      'URL clients reach this service at; OAuth issuers derive from it (env KEYHOLD_PUBLIC_URL)',
    )
    .option(
      '--metrics-listen <host:port>',
      'serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9464 (env KEYHOLD_METRICS_LISTEN; loopback only unless KEYHOLD_METRICS_TOKEN is set)',
    )
    .option(
      '--connect <file[:port]>',
      'also host the Connect server of this credentials file on PORT (default 8080); repeatable',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .action(
      async (
        opts: DatabaseFlags & {
          host?: string;
          port?: string;
          logLevel?: string;
          publicUrl?: string;
          metricsListen?: string;
          connect: string[];
        },
      ) => {
        const { connect, ...settings } = opts;
        const config = await configFrom(settings);
        const hosted = connect.map(parseHosted);
        const { createLogger, startService } = await import('../../main.js');
        const logger = createLogger(config);
        const service = await startService(config, logger, hosted);
        if (service.bootstrap) {
          // Printed once, outside the structured log, which must never carry secrets.
          process.stdout.write(`${renderCredentials(service.bootstrap)}\n`);
        }
        // Taken over before the service says it is listening, so a reload sent then is never lost.
        const { reloadTls } = service;
        if (reloadTls) process.on('SIGHUP', () => reloadOnSignal(reloadTls, logger));
        for (const url of service.connectUrls) logger.info({ url }, 'connect server listening');
        if (service.metricsUrl) logger.info({ url: service.metricsUrl }, 'metrics served');
        logger.info(
          {
            url: service.url,
            connectUrls: service.connectUrls,
            dataDir: config.dataDir,
            database: service.database,
          },
          'keyhold listening',
        );
        const stop = async (signal: string) => {
          logger.info({ signal }, 'shutting down');
          await service.close();
          process.exit(0);
        };
        process.once('SIGTERM', () => void stop('SIGTERM'));
        process.once('SIGINT', () => void stop('SIGINT'));
      },
    );
}

/** `FILE[:PORT]`: the port is taken only when what follows the last colon is a number. */
export function parseHosted(spec: string): { credentialsFile: string; port: number } {
  const match = /^(.+?)(?::(\d+))?$/.exec(spec);
  const file = match?.[1];
  if (!file) throw new CliError(`--connect ${JSON.stringify(spec)}: expected FILE or FILE:PORT`);
  const port = match?.[2] === undefined ? 8080 : Number(match[2]);
  if (port > 65535) throw new CliError(`--connect ${JSON.stringify(spec)}: port must be 0 to 65535`);
  return { credentialsFile: file, port };
}
