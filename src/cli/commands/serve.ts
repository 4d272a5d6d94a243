import { accessSync, constants } from 'node:fs';
import type { Command } from 'commander';
import type { DatabaseFlags } from '../database-options.js';
import { databaseOptions } from '../database-options.js';
import { CliError } from '../errors.js';
import { emit, type OutputOptions, table } from '../output.js';
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
    .option(
      '--check-config',
      'check the settings (flags, environment, --connect specs, TLS files) and print them, secrets left out; start nothing',
    )
    .option('--json', 'with --check-config: print the result as JSON (also when the settings are wrong)')
    .action(
      async (
        opts: DatabaseFlags & {
          host?: string;
          port?: string;
          logLevel?: string;
          publicUrl?: string;
          metricsListen?: string;
          connect: string[];
          checkConfig?: boolean;
          json?: boolean;
        },
      ) => {
        const { connect, checkConfig, json, ...settings } = opts;
        if (checkConfig) return checkSettings(settings, connect, { json: json === true });
        if (json)
          throw new CliError('--json applies to --check-config only: the service logs JSON lines already');
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

/**
 * `serve --check-config`: everything `serve` reads before it opens the database, checked, and the
 * resulting settings printed without secrets (the master key is "set" or not, a database URL
 * loses its password). Exits 1 naming the first wrong setting, as `serve` would.
 */
async function checkSettings(
  settings: Parameters<typeof configFrom>[0],
  connect: string[],
  output: OutputOptions,
): Promise<void> {
  let checked: Record<string, unknown>;
  try {
    const config = await configFrom(settings);
    const hosted = connect.map(parseHosted);
    for (const [flag, file] of [
      ['KEYHOLD_TLS_CERT_FILE', config.tlsCertFile],
      ['KEYHOLD_TLS_KEY_FILE', config.tlsKeyFile],
      ...hosted.map((h) => ['--connect', h.credentialsFile]),
    ] as [string, string | undefined][]) {
      if (file === undefined) continue;
      try {
        accessSync(file, constants.R_OK);
      } catch (error) {
        throw new CliError(`${flag} ${file} cannot be read (${(error as NodeJS.ErrnoException).code})`);
      }
    }
    const { withoutPassword } = await import('../../storage/postgres/backend.js');
    checked = {
      ...config,
      databaseUrl: config.databaseUrl === undefined ? undefined : withoutPassword(config.databaseUrl),
      masterKey: config.masterKey === undefined ? undefined : '(set)',
      connect: hosted,
    };
  } catch (error) {
    if (output.json) emit({ valid: false, error: (error as Error).message }, output, () => '');
    throw error;
  }
  emit({ valid: true, settings: checked }, output, ({ settings: all }) =>
    [
      'The settings are valid:',
      table(
        ['SETTING', 'VALUE'],
        Object.entries(all)
          .filter(([, value]) => value !== undefined)
          .map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]),
      ),
    ].join('\n'),
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
