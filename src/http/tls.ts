import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { createSecureContext, Server as TlsServer } from 'node:tls';
import { ConfigError } from '../config/load.js';

/** Where a listener's certificate and private key are, and the settings that named them. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** The setting names, for messages (`KEYHOLD_TLS_CERT_FILE`, `OP_TLS_CERT_FILE`, …). */
  settings: { cert: string; key: string };
}

/** A certificate chain and its private key, PEM, as node:https takes them. */
export interface TlsCredentials {
  cert: Buffer;
  key: Buffer;
}

function read(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`${setting}: cannot read ${file} (${code})`);
  }
}

/**
 * Reads and checks a certificate and key: both files readable, the certificate a PEM X.509
 * certificate, the key a PEM private key without a passphrase, and the two belonging together.
 * Every failure is a ConfigError naming the setting at fault. The key's content is never
 * quoted; OpenSSL's reasons do not quote it either.
 *
 * The same loader serves the central service (KEYHOLD_TLS_*), the Connect servers it hosts, and
 * `keyhold connect` (OP_TLS_*), at start and on every reload.
 */
export function loadTls(files: TlsFiles): TlsCredentials {
  const { cert: certSetting, key: keySetting } = files.settings;
  const cert = read(files.certFile, certSetting);
  const key = read(files.keyFile, keySetting);
  try {
    new X509Certificate(cert);
  } catch (error) {
    throw new ConfigError(
      `${certSetting}: ${files.certFile} is not a PEM certificate (${(error as Error).message})`,
    );
  }
  try {
    createPrivateKey(key);
  } catch (error) {
    throw new ConfigError(
      `${keySetting}: ${files.keyFile} is not an unencrypted PEM private key (${(error as Error).message})`,
    );
  }
  try {
    // What the listener will do with them: it also checks that the key matches the certificate.
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(
      `${certSetting} and ${keySetting}: the certificate and key cannot be used together (${(error as Error).message})`,
    );
  }
  return { cert, key };
}

/**
 * Reads the files again and gives every listener the new certificate. All or nothing: when the
 * files cannot be loaded the ConfigError is thrown before any listener changes, so they keep
 * serving the certificate they had. Connections already open keep theirs; new ones get the new.
 */
export function reloadTls(servers: readonly Server[], files: TlsFiles): void {
  const tlsServers = servers.map((server) => {
    if (!(server instanceof TlsServer)) throw new TypeError('reloadTls: a listener does not serve TLS');
    return server;
  });
  const credentials = loadTls(files);
  for (const server of tlsServers) server.setSecureContext(credentials);
}
