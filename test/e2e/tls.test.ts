import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateAuthority,
  makeCa,
  makeServerCert,
  type ServerCertificate,
} from '../helpers/certificates.js';
import {
  cleanup,
  runCli,
  type Server,
  startKeyhold,
  startServer,
  tempDataDir,
} from '../helpers/processes.js';

/**
 * The central service serving HTTPS itself (KEYHOLD_TLS_CERT_FILE / KEYHOLD_TLS_KEY_FILE), with a
 * certificate from a throwaway CA made by `openssl` at test time, used by real clients: the CLI
 * and `keyhold connect`, which trust it through NODE_EXTRA_CA_CERTS and refuse it without.
 */
let dir: string;
let dataDir: string;
let ca: CertificateAuthority;
let first: ServerCertificate;
let second: ServerCertificate;
let rogue: ServerCertificate;
/** The files the service is configured with; tests copy other certificates over them. */
let live: { certFile: string; keyFile: string };
let central: Server;
let token: string;
let vault: string;
let item: string;

const tlsEnv = () => ({ KEYHOLD_TLS_CERT_FILE: live.certFile, KEYHOLD_TLS_KEY_FILE: live.keyFile });
const trusting = () => ({ KEYHOLD_TOKEN: token, NODE_EXTRA_CA_CERTS: ca.certFile });

/** `keyhold …` against the central service as an operator whose machine trusts the CA. */
async function cli(...args: string[]): Promise<unknown> {
  const res = await runCli([...args, '--addr', central.url, '--json'], { env: trusting() });
  if (res.code !== 0) throw new Error(`keyhold ${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

/** The SHA-256 fingerprint of the certificate a TLS listener serves to a new connection. */
function servedFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ca: readFileSync(ca.certFile) }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** GET over HTTPS trusting the test CA: status and body. */
function httpsGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: readFileSync(ca.certFile), headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const install = (cert: { certFile: string; keyFile: string }) => {
  copyFileSync(cert.keyFile, live.keyFile);
  copyFileSync(cert.certFile, live.certFile);
};

/** Sends SIGHUP and waits for the log line that says how the reload went. */
async function reload(server: Server, expected: 'reloaded' | 'failed'): Promise<Record<string, unknown>> {
  const seen = server.lines.length;
  server.child.kill('SIGHUP');
  let entry: Record<string, unknown> | undefined;
  await expect
    .poll(() => {
      entry = server.lines
        .slice(seen)
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((e) => String(e.msg).startsWith('tls certificate reload'));
      return entry?.msg;
    })
    .toMatch(expected === 'reloaded' ? /^tls certificate reloaded$/ : /^tls certificate reload failed/);
  return entry as Record<string, unknown>;
}

beforeAll(async () => {
  dir = tempDataDir();
  const pki = join(dir, 'pki');
  mkdirSync(pki);
  ca = makeCa(pki, 'ca');
  first = makeServerCert(pki, 'first', ca);
  second = makeServerCert(pki, 'second', ca);
  rogue = makeServerCert(pki, 'rogue', makeCa(pki, 'rogue-ca'));
  live = { certFile: join(pki, 'live.pem'), keyFile: join(pki, 'live.key') };
  install(first);
  dataDir = join(dir, 'data');
  central = await startServer(dataDir, { env: tlsEnv() });
  token = /admin token:\s+(\S+)/.exec(central.lines.join('\n'))?.[1] as string;
}, 60_000);
afterAll(cleanup);

describe('an HTTPS central service', () => {
  it('listens on https and serves the configured certificate', async () => {
    expect(central.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await servedFingerprint(central.url)).toBe(first.fingerprint256);
  });

  it('is used by the CLI when NODE_EXTRA_CA_CERTS holds its CA', async () => {
    vault = ((await cli('vault', 'create', 'over-tls')) as { id: string }).id;
    item = (
      (await cli('item', 'create', '--vault', vault, '--title', 'db', '--password', 'pw-over-tls')) as {
        id: string;
      }
    ).id;
    const listed = (await cli('vault', 'list')) as { id: string }[];
    expect(listed.map((v) => v.id)).toContain(vault);
  }, 90_000);

  it('is refused by the CLI when the certificate is not trusted, with what to do', async () => {
    const untrusted = await runCli(['vault', 'list', '--addr', central.url], {
      env: { KEYHOLD_TOKEN: token },
    });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^keyhold: cannot reach https:\/\/127\.0\.0\.1:\d+ \([A-Z_]+\); /);
    expect(untrusted.stderr).toContain('point NODE_EXTRA_CA_CERTS at that CA certificate');
    // Trusting some other CA is not trusting this one.
    const otherCa = await runCli(['vault', 'list', '--addr', central.url], {
      env: { KEYHOLD_TOKEN: token, NODE_EXTRA_CA_CERTS: join(dir, 'pki', 'rogue-ca.pem') },
    });
    expect(otherCa.code).toBe(1);
    expect(otherCa.stderr).toMatch(/^keyhold: cannot reach https:/);
  }, 90_000);

  it('is used by `keyhold connect --central https://…`, which refuses it untrusted', async () => {
    const credentials = join(dir, 'credentials.json');
    const server = (await cli('server', 'create', 'edge', '--vaults', vault, '--out', credentials)) as {
      id: string;
    };
    const refused = await runCli(['connect', '--credentials', credentials, '--port', '0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^keyhold: the central service at https:\/\/127\.0\.0\.1:\d+ refused or did not answer: The central service is unavailable: [A-Z_]+; its certificate is not trusted here/,
    );
    // The central URL comes from the credentials file, which `server create` wrote from --addr.
    const connect = await startKeyhold(
      ['connect', '--credentials', credentials, '--central', central.url, '--port', '0'],
      'connect server listening',
      { env: { NODE_EXTRA_CA_CERTS: ca.certFile } },
    );
    const issued = (await cli(
      'token',
      'create',
      'app',
      '--server',
      server.id,
      '--vault',
      `${vault}:read`,
    )) as {
      token: string;
    };
    const res = await fetch(`${connect.url}/v1/vaults/${vault}/items/${item}`, {
      headers: { authorization: `Bearer ${issued.token}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { fields: { value: string }[] };
    expect(body.fields.map((f) => f.value)).toContain('pw-over-tls');
    await connect.stop();
  }, 90_000);

  it('reloads a new certificate on SIGHUP, and keeps the old one when the new files are unusable', async () => {
    install(second);
    await reload(central, 'reloaded');
    expect(await servedFingerprint(central.url)).toBe(second.fingerprint256);

    // A renewal caught half-way: the new key with the old certificate.
    copyFileSync(rogue.keyFile, live.keyFile);
    const failed = await reload(central, 'failed');
    expect(failed.reason).toMatch(
      /^KEYHOLD_TLS_CERT_FILE and KEYHOLD_TLS_KEY_FILE: the certificate and key cannot be used together/,
    );
    expect(central.child.exitCode).toBeNull();
    expect(await servedFingerprint(central.url)).toBe(second.fingerprint256);
    expect(((await cli('vault', 'list')) as unknown[]).length).toBeGreaterThan(0);
    install(second);
  }, 90_000);

  it('serves the Connect servers it hosts over HTTPS with the same certificate, reloaded with it', async () => {
    await central.stop();
    const credentials = join(dir, 'credentials.json');
    central = await startServer(dataDir, {
      env: tlsEnv(),
      extraArgs: ['--connect', `${credentials}:0`],
    });
    const [hosted] = central.ready.connectUrls as string[];
    expect(hosted).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await httpsGet(`${hosted}/heartbeat`)).status).toBe(200);
    expect(await servedFingerprint(hosted as string)).toBe(second.fingerprint256);
    install(first);
    await reload(central, 'reloaded');
    expect(await servedFingerprint(hosted as string)).toBe(first.fingerprint256);
    expect(await servedFingerprint(central.url)).toBe(first.fingerprint256);
  }, 90_000);
});

describe('TLS settings at start', () => {
  const start = (env: Record<string, string>) =>
    runCli(['serve', '--data-dir', join(tempDataDir(), 'data'), '--port', '0'], { env });

  it('must come together', async () => {
    const res = await start({ KEYHOLD_TLS_CERT_FILE: first.certFile });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      'keyhold: KEYHOLD_TLS_CERT_FILE and KEYHOLD_TLS_KEY_FILE must be set together (KEYHOLD_TLS_KEY_FILE is not set)\n',
    );
  });

  it('stop the start with the setting at fault named when a file is missing or unusable', async () => {
    const missing = await start({
      KEYHOLD_TLS_CERT_FILE: join(dir, 'nope.pem'),
      KEYHOLD_TLS_KEY_FILE: first.keyFile,
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `keyhold: KEYHOLD_TLS_CERT_FILE: cannot read ${join(dir, 'nope.pem')} (ENOENT)\n`,
    );

    const keyAsCert = await start({
      KEYHOLD_TLS_CERT_FILE: first.keyFile,
      KEYHOLD_TLS_KEY_FILE: first.keyFile,
    });
    expect(keyAsCert.code).toBe(1);
    expect(keyAsCert.stderr).toMatch(/^keyhold: KEYHOLD_TLS_CERT_FILE: .* is not a PEM certificate \(/);

    const certAsKey = await start({
      KEYHOLD_TLS_CERT_FILE: first.certFile,
      KEYHOLD_TLS_KEY_FILE: first.certFile,
    });
    expect(certAsKey.code).toBe(1);
    expect(certAsKey.stderr).toMatch(
      /^keyhold: KEYHOLD_TLS_KEY_FILE: .* is not an unencrypted PEM private key \(/,
    );

    const mismatch = await start({
      KEYHOLD_TLS_CERT_FILE: first.certFile,
      KEYHOLD_TLS_KEY_FILE: second.keyFile,
    });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(
      /^keyhold: KEYHOLD_TLS_CERT_FILE and KEYHOLD_TLS_KEY_FILE: the certificate and key cannot be used together \(/,
    );
    // Nothing of the key file ever reaches the message.
    const keyBody = readFileSync(second.keyFile, 'utf8').split('\n')[1] as string;
    expect(mismatch.stderr).not.toContain(keyBody);
  }, 90_000);
});
