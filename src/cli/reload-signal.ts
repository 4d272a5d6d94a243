import type { Logger } from 'pino';

/**
 * SIGHUP: read the certificate and key files again. A failure is logged with its reason and the
 * listeners keep the certificate they have, so a half-written renewal never takes a server down.
 * (Without a handler, SIGHUP would end the process: it is only taken over when TLS is on.)
 */
export function reloadOnSignal(reload: () => void, logger: Logger): void {
  try {
    reload();
    logger.info('tls certificate reloaded');
  } catch (error) {
    logger.error(
      { reason: (error as Error).message },
      'tls certificate reload failed; still serving the previous certificate',
    );
  }
}
