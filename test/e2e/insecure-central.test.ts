import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanup,
  runCli,
  type Server,
  startKeyhold,
  startServer,
  tempDataDir,
} from '../helpers/processes.js';

/**
 * Plain HTTP that leaves the machine: `keyhold connect` refuses such a central URL unless told
 * `--insecure-central`; the admin CLI warns. The central service listens on this machine's
 * non-loopback address, so the refused URL is one that really answers.
 */
const address = Object.values(networkInterfaces())
  .flat()
  .find((a) => a?.family === 'IPv4' && !a.internal)?.address;

// A machine with no network interface but loopback has no non-loopback address to refuse.
describe.skipIf(address === undefined)('plain http off loopback', () => {
  let dir: string;
  let central: Server;
  let url: string;
  let token: string;
  let credentials: string;
  let vault: string;

  beforeAll(async () => {
    dir = tempDataDir();
    central = await startServer(join(dir, 'data'), { extraArgs: ['--host', address as string] });
    url = central.url;
    token = /admin token:\s+(\S+)/.exec(central.lines.join('\n'))?.[1] as string;
    const created = await runCli(['vault', 'create', 'edge', '--addr', url, '--json'], {
      env: { KEYHOLD_TOKEN: token },
    });
    vault = (JSON.parse(created.stdout) as { id: string }).id;
    credentials = join(dir, 'credentials.json');
    const server = await runCli(['server', 'create', 'edge', '--vaults', vault, '--out', credentials], {
      env: { KEYHOLD_TOKEN: token, KEYHOLD_ADDR: url },
    });
    expect(server.code).toBe(0);
  }, 60_000);
  afterAll(cleanup);

  it('the admin CLI warns on standard error, and still does what it was asked', async () => {
    const res = await runCli(['vault', 'list', '--addr', url, '--json'], { env: { KEYHOLD_TOKEN: token } });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe(
      `keyhold: warning: ${url} is plain http to a host that is not loopback: the credential and any secret sent or shown cross the network unencrypted; use https://\n`,
    );
    expect((JSON.parse(res.stdout) as { id: string }[]).map((v) => v.id)).toContain(vault);
    // Loopback gets no warning (nothing listens on 127.0.0.2: the command fails, unwarned).
    const local = await runCli(['vault', 'list', '--addr', url.replace(address as string, '127.0.0.2')], {
      env: { KEYHOLD_TOKEN: token },
    });
    expect(local.stderr).not.toContain('warning');
  });

  it('keyhold connect refuses it before sending anything, saying why and what to do', async () => {
    const seen = central.lines.length;
    const res = await runCli(['connect', '--credentials', credentials, '--central', url, '--port', '0']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `keyhold: refusing the central service at ${url}: plain http to a host that is not loopback would send the server secret and the secrets it serves in clear text. Use https:// (serve the central service with KEYHOLD_TLS_CERT_FILE and KEYHOLD_TLS_KEY_FILE, or behind a TLS proxy), or pass --insecure-central if the network in between is protected otherwise\n`,
    );
    // The credentials file names the same central URL (server create wrote --addr): refused too.
    const fromFile = await runCli(['connect', '--credentials', credentials, '--port', '0']);
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toMatch(/^keyhold: refusing the central service at /);
    expect(central.lines.slice(seen).filter((line) => line.includes('connect-server'))).toEqual([]);
  });

  it('keyhold connect --insecure-central uses it, with a warning in its log', async () => {
    const connect = await startKeyhold(
      ['connect', '--credentials', credentials, '--central', url, '--port', '0', '--insecure-central'],
      'connect server listening',
    );
    const warning = connect.lines.find((line) => line.includes('--insecure-central'));
    expect(JSON.parse(warning as string)).toMatchObject({ level: 40, central: url });
    expect((await fetch(`${connect.url}/heartbeat`)).status).toBe(200);
    const unauthenticated = await fetch(`${connect.url}/v1/vaults`);
    expect(unauthenticated.status).toBe(401);
    await connect.stop();
  }, 60_000);
});
