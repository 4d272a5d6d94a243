import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newServerKeyPair } from '../../src/crypto/server-key.js';
import {
  cleanup,
  runCli,
  type Server,
  startKeyhold,
  startServer,
  tempDataDir,
} from '../helpers/processes.js';

/**
 * `keyhold connect` as its own process, a standalone node of a `keyhold serve`: the same API, its
 * replica kept in sync (revocation reaching it within a second), and its end when its server is
 * deleted.
 */
let dir: string;
let central: Server;
let remote: Server;
let admin: string;
let vault: string;
let item: string;
let serverId: string;
let credentialsFile: string;

const adminApi = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${central.url}/api/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return res.status === 204 ? undefined : res.json();
};
const connectGet = (path: string, token: string) =>
  fetch(`${remote.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
/**
 * A token made centrally, once the node has it: it reaches the node on its change stream, within
 * a second (asserted), not at the instant the admin API answers.
 */
const newToken = async (permissions = ['read', 'write']) => {
  const issued = (await adminApi('POST', `/servers/${serverId}/tokens`, {
    name: 't',
    vaults: [{ vaultId: vault, permissions }],
  })) as { id: string; token: string };
  const madeAt = Date.now();
  while ((await connectGet('/v1/vaults', issued.token)).status === 401) {
    if (Date.now() - madeAt > 1000) throw new Error('a new token did not reach the node within 1 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return issued;
};

beforeAll(async () => {
  dir = tempDataDir();
  central = await startServer(join(dir, 'data'));
  admin = /admin token:\s+(\S+)/.exec(central.lines.join('\n'))?.[1] as string;
  vault = ((await adminApi('POST', '/vaults', { name: 'remote' })) as { id: string }).id;
  item = (
    (await adminApi('POST', `/vaults/${vault}/items`, {
      title: 'db',
      fields: [{ purpose: 'PASSWORD', value: 'pw-remote' }],
    })) as { id: string }
  ).id;
  const server = (await adminApi('POST', '/servers', { name: 'edge', vaults: [vault] })) as {
    id: string;
    credentials: unknown;
  };
  serverId = server.id;
  credentialsFile = join(dir, 'credentials.json');
  writeFileSync(credentialsFile, JSON.stringify(server.credentials), { mode: 0o600 });
  remote = await startKeyhold(
    ['connect', '--credentials', credentialsFile, '--central', central.url, '--port', '0'],
    'connect server listening',
  );
}, 60_000);
afterAll(cleanup);

describe('keyhold connect', () => {
  it('serves items, creates and patches through the central service', async () => {
    const { token } = await newToken();
    const res = await connectGet(`/v1/vaults/${vault}/items/${item}`, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('1password-connect-version')).toBe('1.8.1');
    expect(((await res.json()) as { fields: { value: string }[] }).fields[0]?.value).toBe('pw-remote');
    const created = await fetch(`${remote.url}/v1/vaults/${vault}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'made remotely', fields: [{ purpose: 'PASSWORD', generate: true }] }),
    });
    expect(created.status).toBe(200);
    const made = (await created.json()) as { id: string; fields: { value: string }[] };
    expect(made.fields[0]?.value).toHaveLength(32);
    const upload = await fetch(`${remote.url}/v1/vaults/${vault}/items/${made.id}/files?name=a.bin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 255, 1]),
    });
    const file = (await upload.json()) as { content_path: string };
    const content = await connectGet(file.content_path, token);
    expect(Buffer.from(await content.arrayBuffer()).equals(Buffer.from([0, 255, 1]))).toBe(true);
  });

  it('relays refusals with their status and message', async () => {
    const { token } = await newToken(['read']);
    const res = await fetch(`${remote.url}/v1/vaults/${vault}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'no' }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ status: 403, message: `token has no write access to vault ${vault}` });
    expect((await connectGet('/v1/vaults', 'garbage')).status).toBe(401);
  });

  it('answers a client with a 15 KB User-Agent as any other, and the trail keeps 256 characters of it', async () => {
    const userAgent = `client/1.0 (${'u'.repeat(15 * 1024)})`;
    const { token } = await newToken(['read']);
    const withUa = (bearer: string) =>
      fetch(`${remote.url}/v1/vaults/${vault}/items/${item}`, {
        headers: { authorization: `Bearer ${bearer}`, 'user-agent': userAgent },
      });
    const allowed = await withUa(token);
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as { id: string }).id).toBe(item);
    const refused = await withUa('garbage');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ status: 401, message: expect.any(String) });
    // The node ships its read events to the central trail shortly after it answers.
    for (const res of [allowed, refused]) {
      await expect
        .poll(
          async () => {
            const events = (await adminApi('GET', '/audit?limit=1000')) as {
              requestId: string;
              userAgent: string;
            }[];
            return events.find((e) => e.requestId === res.headers.get('x-request-id'))?.userAgent;
          },
          { timeout: 5_000 },
        )
        .toBe(userAgent.slice(0, 256));
    }
  });

  it('refuses a revoked token within a second of the revocation', async () => {
    const issued = await newToken();
    expect((await connectGet('/v1/vaults', issued.token)).status).toBe(200);
    await adminApi('DELETE', `/tokens/${issued.id}`);
    const revokedAt = Date.now();
    // The revocation reaches the node on its change stream.
    let res = await connectGet('/v1/vaults', issued.token);
    while (res.status === 200 && Date.now() - revokedAt < 1000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      res = await connectGet('/v1/vaults', issued.token);
    }
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toBe(
      'Invalid token: the token has been revoked',
    );
  });

  it('reads credentials from OP_SESSION as base64, and says what is wrong with a bad one', async () => {
    const { readFileSync } = await import('node:fs');
    const b64 = readFileSync(credentialsFile).toString('base64');
    // Base64 credentials have no directory to keep the replica beside: one must be named.
    const unplaced = await runCli(['connect', '--central', central.url, '--port', '0'], {
      env: { OP_SESSION: b64 },
    });
    expect(unplaced.code).toBe(1);
    expect(unplaced.stderr).toMatch(/pass --data-dir DIR or set KEYHOLD_CONNECT_DATA_DIR/);
    const second = await startKeyhold(
      ['connect', '--central', central.url, '--port', '0'],
      'connect server listening',
      {
        env: { OP_SESSION: b64, KEYHOLD_CONNECT_DATA_DIR: join(dir, 'b64-data') },
      },
    );
    const { token } = await newToken();
    expect(
      (await fetch(`${second.url}/v1/vaults`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    await second.stop();
    const bad = await runCli(['connect', '--central', central.url, '--port', '0'], {
      env: { OP_SESSION: 'bm90IGpzb24=' },
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^keyhold: OP_SESSION is neither a readable credentials file \(.*\) nor the base64 of one/,
    );
  });

  it('serves HTTPS with OP_TLS_CERT_FILE and OP_TLS_KEY_FILE', async () => {
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const tls = await startKeyhold(
      [
        'connect',
        '--credentials',
        credentialsFile,
        '--central',
        central.url,
        '--port',
        '0',
        '--data-dir',
        join(dir, 'tls-data'),
      ],
      'connect server listening',
      { env: { OP_TLS_CERT_FILE: cert, OP_TLS_KEY_FILE: key } },
    );
    expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { token } = await newToken(['read']);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        `${tls.url}/v1/vaults`,
        { ca: readFileSync(cert), headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    await tls.stop();
    const half = await runCli(['connect', '--credentials', credentialsFile, '--central', central.url], {
      env: { OP_TLS_CERT_FILE: cert },
    });
    expect(half.code).toBe(1);
    expect(half.stderr.trim()).toBe('keyhold: OP_TLS_CERT_FILE and OP_TLS_KEY_FILE must be set together');
  });

  it('refuses to start with credentials the central service does not know', async () => {
    const forged = join(dir, 'forged.json');
    writeFileSync(
      forged,
      JSON.stringify({
        kind: 'keyhold-connect-credentials',
        version: 2,
        serverId,
        accountId: serverId,
        serverSecret: `khsrv_${'A'.repeat(43)}`,
        central: null,
        serverKey: (await newServerKeyPair()).privateJwk,
        replicaKey: randomBytes(32).toString('base64url'),
      }),
    );
    const res = await runCli([
      'connect',
      '--credentials',
      forged,
      '--central',
      central.url,
      '--port',
      '0',
      '--data-dir',
      join(dir, 'forged-data'),
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      `keyhold: the central service at ${central.url} refused or did not answer: Invalid Connect server credentials`,
    );
  });

  it('refuses a version 1 credentials file before touching the data directory, naming the command that makes a new one', async () => {
    const legacy = join(dir, 'legacy.json');
    writeFileSync(
      legacy,
      JSON.stringify({
        kind: 'keyhold-connect-credentials',
        version: 1,
        serverId,
        accountId: serverId,
        serverSecret: `khsrv_${'A'.repeat(43)}`,
        central: null,
      }),
    );
    const dataDir = join(dir, 'legacy-data');
    const res = await runCli([
      'connect',
      '--credentials',
      legacy,
      '--central',
      central.url,
      '--data-dir',
      dataDir,
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      `keyhold: the credentials file of server ${serverId} was made before Connect nodes kept a replica, and holds no key to open one; make a new file with \`keyhold server credentials ${serverId} --out FILE\` (the old file stops working) and start with that`,
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('keeps answering while nothing reads its log, and the lines follow once reading resumes', async () => {
    // A pipe holds 64 KiB: 2,000 request lines of ~180 bytes fill it five times over. A logger
    // that waited for the reader would stop answering once it is full.
    remote.child.stdout?.pause();
    const logged = () => remote.lines.filter((line) => line.includes('"path":"/heartbeat"')).length;
    const before = logged();
    const requests = 2000;
    for (let sent = 0; sent < requests; sent += 50) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => fetch(`${remote.url}/heartbeat`).then((res) => res.text())),
      );
      expect(answers).toEqual(Array(50).fill('.'));
    }
    remote.child.stdout?.resume();
    // Below the 16 MiB the logger holds for a stalled reader, no line is dropped.
    await expect.poll(logged, { timeout: 10_000 }).toBe(before + requests);
  });

  it('wipes its replica and exits with status 1, saying why, once its server is deleted', async () => {
    const { token } = await newToken();
    expect((await connectGet('/v1/vaults', token)).status).toBe(200);
    const dataDir = join(dir, 'keyhold-connect-data');
    expect(readdirSync(dataDir)).toContain('replica.sqlite');
    const exited = new Promise<number | null>((resolve) => remote.child.once('close', resolve));
    await adminApi('DELETE', `/servers/${serverId}`);
    expect(await exited).toBe(1);
    expect(remote.lines.join('\n')).toMatch(/this Connect server was deleted on the central service/);
    expect(readdirSync(dataDir).filter((f) => f.startsWith('replica'))).toEqual([]);
  });
});
