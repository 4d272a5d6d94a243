import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, cmd, runCli, type Server } from '../helpers/processes.js';
import { failure, type ServedKeyhold, serveInitialized } from '../helpers/served-keyhold.js';

/**
 * Admin tokens and break-glass recovery over real processes: `keyhold init`, `keyhold serve`,
 * and every command as its own process. Tests in this file build on each other, in order.
 */

interface TokenView {
  id: string;
  name: string;
  role: string;
  status: string;
  token?: string;
}
interface AuditEvent {
  actorType: string;
  tokenId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  result: string;
}

let dataDir: string;
let server: Server;
let restart: ServedKeyhold['restart'];
let kh: ServedKeyhold['kh'];
let json: ServedKeyhold['json'];
let bootstrap: string;
let owner: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  let init: ServedKeyhold['init'];
  ({ dataDir, server, restart, kh, json, init } = await serveInitialized());
  bootstrap = init.adminToken;
});
afterAll(async () => {
  await server?.stop();
  await cleanup();
});

describe('keyhold admin-token', () => {
  it('an owner creates an owner token, which revokes the bootstrap one; the bootstrap answers 401 revoked', async () => {
    const created = await json<TokenView>(
      cmd`admin-token create ${'second owner'} --role owner --expires-in 90d`,
      bootstrap,
    );
    expect(created).toMatchObject({ name: 'second owner', role: 'owner', status: 'active' });
    owner = created.token as string;

    const listed = await kh(cmd`admin-token list`, owner);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+STATUS\s+CREATED\s+EXPIRES\s+REVOKED/);
    expect(listed.stdout).not.toContain('khadm_');
    const first = (await json<TokenView[]>(cmd`admin-token list`, owner)).find(
      (t) => t.name === 'bootstrap owner token',
    );
    expect(first).toMatchObject({ role: 'owner', status: 'active' });

    const revoked = await kh(cmd`admin-token revoke ${first?.id as string}`, owner);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout.trim()).toBe(`Admin token ${first?.id} revoked`);
    expect(failure(await kh(cmd`vault list`, bootstrap))).toMatch(
      /^keyhold: the admin token was revoked at \d{4}-.*: check KEYHOLD_TOKEN or --token$/,
    );
    expect(
      (await json<TokenView[]>(cmd`admin-token list`, owner)).find((t) => t.id === first?.id),
    ).toMatchObject({
      status: 'revoked',
    });
  });

  it('an auditor reads the audit trail and is refused a vault create, naming vaults:create', async () => {
    tokens.auditor = (
      await json<TokenView>(cmd`admin-token create reader --role auditor --expires-in 30d`, owner)
    ).token as string;
    const events = await json<AuditEvent[]>(cmd`audit list --limit 5`, tokens.auditor);
    expect(events.length).toBeGreaterThan(0);
    expect(failure(await kh(cmd`vault create Payroll`, tokens.auditor))).toBe(
      'keyhold: the admin token is not allowed to do this: its role (auditor) does not have the vaults:create permission (docs/roles.md)',
    );
  });

  it('a connect-manager creates a Connect server but cannot list users', async () => {
    tokens.connect = (
      await json<TokenView>(cmd`admin-token create ops --role connect-manager --expires-in 30d`, owner)
    ).token as string;
    const out = `${dataDir}/ops-credentials.json`;
    const created = await kh(cmd`server create ${'ops server'} --out ${out}`, tokens.connect);
    expect(created.code, created.stderr).toBe(0);
    expect(failure(await kh(cmd`user list`, tokens.connect))).toBe(
      'keyhold: the admin token is not allowed to do this: its role (connect-manager) does not have the users:read permission (docs/roles.md)',
    );
  });

  it('an admin cannot create an owner token, and bad flags are refused before any request', async () => {
    tokens.admin = (await json<TokenView>(cmd`admin-token create deputy --expires-in 30d`, owner))
      .token as string;
    expect(failure(await kh(cmd`admin-token create escalate --role owner`, tokens.admin))).toBe(
      'keyhold: the admin token is not allowed to do this: role admin cannot act on a holder of role owner (admin-tokens:write)',
    );
    expect(failure(await kh(cmd`admin-token create x --role root`, tokens.admin))).toBe(
      'keyhold: --role "root": expected one of owner, admin, auditor, connect-manager',
    );
    expect(failure(await kh(cmd`admin-token create x --expires-in 90y`, tokens.admin))).toMatch(
      /^keyhold: --expires-in "90y": expected a whole number and a unit/,
    );
  });
});

describe('keyhold recover', () => {
  it('restores access after every owner token was revoked, and the audit trail shows it', async () => {
    // Revoke every owner token, the caller's own last.
    const owners = (await json<TokenView[]>(cmd`admin-token list`, owner)).filter(
      (t) => t.role === 'owner' && t.status === 'active',
    );
    const self = owners.find((t) => t.name === 'second owner') as TokenView;
    for (const t of [...owners.filter((o) => o.id !== self.id), self])
      expect((await kh(cmd`admin-token revoke ${t.id}`, owner)).code).toBe(0);
    expect(failure(await kh(cmd`admin-token list`, owner))).toMatch(/^keyhold: the admin token was revoked/);
    // An admin cannot bring an owner back.
    expect(failure(await kh(cmd`admin-token create back --role owner`, tokens.admin as string))).toMatch(
      /^keyhold: the admin token is not allowed to do this: /,
    );

    // While the service holds the data directory, recovery is refused and says what to do.
    const busy = await runCli(cmd`recover --data-dir ${dataDir}`);
    expect(failure(busy)).toBe(
      `keyhold: ${dataDir} is in use by a running keyhold service; stop the service first (keyhold recover writes to the database, which only one process may do at a time), run keyhold recover, then start the service again`,
    );
    expect(await server.stop()).toBe(0);
    // Without the master key it is refused: a copy of the database is not the host.
    const refusedKey = await runCli(cmd`recover --data-dir ${dataDir}`, {
      env: { KEYHOLD_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') },
    });
    expect(failure(refusedKey)).toMatch(/^keyhold: the master key does not match the database/);
    expect(failure(await runCli(cmd`recover --data-dir ${dataDir} --account ${'not an id'}`))).toBe(
      'keyhold: --account "not an id": not an account id (26 characters of a-z and 0-9)',
    );
    expect(failure(await runCli(cmd`recover --data-dir ${dataDir} --account ${'z'.repeat(26)}`))).toBe(
      `keyhold: no account ${'z'.repeat(26)} in this database`,
    );
    expect(failure(await runCli(cmd`recover --data-dir ${`${dataDir}-missing`}`))).toBe(
      `keyhold: no Keyhold database in ${dataDir}-missing; check --data-dir`,
    );
    const recovered = await runCli(cmd`recover --data-dir ${dataDir} --json`);
    expect(recovered.code, recovered.stderr).toBe(0);
    const result = JSON.parse(recovered.stdout) as { tokenId: string; adminToken: string; accountId: string };
    expect(result.adminToken).toMatch(/^khadm_/);

    server = await restart();
    const mine = (await json<TokenView[]>(cmd`admin-token list`, result.adminToken)).find(
      (t) => t.id === result.tokenId,
    );
    expect(mine).toMatchObject({ role: 'owner', status: 'active' });
    const trail = await json<AuditEvent[]>(cmd`audit list --limit 20`, result.adminToken);
    expect(trail).toContainEqual(
      expect.objectContaining({
        actorType: 'system',
        tokenId: 'keyhold-recover',
        action: 'CREATE',
        resourceType: 'TOKEN',
        resourceId: result.tokenId,
        result: 'SUCCESS',
      }),
    );
    // The recovered owner manages accounts again: it belongs to the operator account.
    expect((await kh(cmd`account list`, result.adminToken)).code).toBe(0);
  });
});
