import type { Command } from 'commander';
import { configFrom } from '../settings.js';
import { renderCredentials } from './init.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the central service (initialises the data directory on first start)')
    .option('--data-dir <dir>', 'data directory (env KEYHOLD_DATA_DIR, default ./data)')
    .option('--host <host>', 'listen address (env KEYHOLD_HOST, default 127.0.0.1)')
    .option('--port <port>', 'listen port (env KEYHOLD_PORT, default 8300)')
    .option('--log-level <level>', 'log level (env KEYHOLD_LOG_LEVEL, default info)')
    .action(async (opts: { dataDir?: string; host?: string; port?: string; logLevel?: string }) => {
      const config = configFrom(opts);
      const { createLogger, startService } = await import('../../main.js');
      const logger = createLogger(config);
      const service = await startService(config, logger);
      if (service.bootstrap) {
        // Printed once, outside the structured log, which must never carry secrets.
        process.stdout.write(`${renderCredentials(service.bootstrap)}\n`);
      }
      logger.info({ url: service.url, dataDir: config.dataDir }, 'keyhold listening');
      const stop = async (signal: string) => {
        logger.info({ signal }, 'shutting down');
        await service.close();
        process.exit(0);
      };
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));
    });
}
