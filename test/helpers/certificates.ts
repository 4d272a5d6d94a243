import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Throwaway PKI for TLS tests, made with the `openssl` command at test time (nothing checked in
 * can expire or leak): a CA, and server certificates it signs for 127.0.0.1 and localhost.
 * P-256 keys: quick to generate.
 */

export interface CertificateAuthority {
  /** The CA certificate (PEM): what NODE_EXTRA_CA_CERTS or `ca` should point at. */
  certFile: string;
  keyFile: string;
}

export interface ServerCertificate {
  certFile: string;
  keyFile: string;
  /** SHA-256 fingerprint as node:tls reports it (`AA:BB:…`). */
  fingerprint256: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA certificate and key in `dir`, named `name.pem` and `name.key`. */
export function makeCa(dir: string, name: string): CertificateAuthority {
  openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=Keyhold test CA ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { certFile: path.join(dir, `${name}.pem`), keyFile: path.join(dir, `${name}.key`) };
}

/** A server certificate for 127.0.0.1, ::1 and localhost, signed by `ca`. */
export function makeServerCert(dir: string, name: string, ca: CertificateAuthority): ServerCertificate {
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    ].join('\n'),
  );
  openssl(['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost'], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      ext,
    ],
    dir,
  );
  const certFile = path.join(dir, `${name}.pem`);
  return {
    certFile,
    keyFile: path.join(dir, `${name}.key`),
    fingerprint256: new X509Certificate(fs.readFileSync(certFile)).fingerprint256,
  };
}
