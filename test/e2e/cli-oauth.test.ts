import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, cmd, type Server } from '../helpers/processes.js';
import {
  failure,
  type Initialized,
  type ServedKeyhold,
  serveInitialized,
} from '../helpers/served-keyhold.js';

/**
 * The OAuth registry commands of the `keyhold` CLI end to end — `resource-server`, `client`,
 * `scopes check` and `grant` — each run as its own process against a real `keyhold serve`, in
 * the order the seed prescribes: catalog first, then resource server, then client. Tests build
 * on each other, in order.
 */

interface Scope {
  name: string;
  description: string;
  exclusive: boolean;
}
interface ResourceServerView {
  id: string | null;
  identifier: string;
  name: string;
  tokenFormat: string;
  accessTokenTtl: number;
  builtIn: boolean;
  scopes: Scope[];
}
interface ClientView {
  clientId: string;
  name: string;
  authMethod: string;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[];
}
interface Problem {
  severity: string;
  code: string;
  subject: string;
  message: string;
  suggestion?: string;
}

const ID = /^[a-z0-9]{26}$/;
const BILLING = 'https://billing.example.com';
const CALLBACK = 'https://app.example.com/callback';

let dataDir: string;
let init: Initialized;
let kh: ServedKeyhold['kh'];
let json: ServedKeyhold['json'];
let server: Server;
let billing: ResourceServerView & { secret: string };
let app: ClientView & { clientSecret: string };
/** Every secret the CLI printed; none may show up again in a listing. */
const issued: string[] = [];

beforeAll(async () => {
  ({ dataDir, init, server, kh, json } = await serveInitialized());
});

afterAll(async () => {
  await server?.stop();
  await cleanup();
});

describe('keyhold resource-server', () => {
  it('create --json registers the resource server and prints its secret once', async () => {
    billing = await json(
      cmd`resource-server create ${BILLING} --scope ${'billing:read=Read your invoices'} --exclusive-scope ${'billing:write=Pay your invoices = now'} --name ${'Billing API'} --jwt --ttl 600`,
    );
    expect(billing).toMatchObject({
      identifier: BILLING,
      name: 'Billing API',
      tokenFormat: 'jwt',
      accessTokenTtl: 600,
      builtIn: false,
      scopes: [
        { name: 'billing:read', description: 'Read your invoices', exclusive: false },
        { name: 'billing:write', description: 'Pay your invoices = now', exclusive: true },
      ],
    });
    expect(billing.id).toMatch(ID);
    expect(billing.secret).toMatch(/^khrs_[A-Za-z0-9_-]{43}$/);
    issued.push(billing.secret);
  });

  it('create says in plain text that the secret is shown once', async () => {
    const result = await kh(
      cmd`resource-server create urn:example:reports --scope ${'reports:read=Read reports'}`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Resource server urn:example:reports (');
    expect(result.stdout).toContain('reports:read: Read reports');
    expect(result.stdout).toContain('shown only once');
    const secret = /khrs_[A-Za-z0-9_-]{43}/.exec(result.stdout)?.[0];
    expect(secret).toBeDefined();
    issued.push(secret as string);
  });

  it('create refuses malformed flags before asking the server', async () => {
    expect(failure(await kh(cmd`resource-server create ${BILLING}`))).toContain(
      'give the resource server at least one scope',
    );
    expect(failure(await kh(cmd`resource-server create ${BILLING} --scope billing:read`))).toContain(
      'expected NAME=DESCRIPTION',
    );
    expect(failure(await kh(cmd`resource-server create ${BILLING} --scope a:b=c --ttl 10`))).toContain(
      '--ttl must be a whole number from 60 to 86400',
    );
  });

  it('create refuses a scope differing only in case from an existing one', async () => {
    const message = failure(
      await kh(cmd`resource-server create https://other.example.com --scope ${'Billing:Read=Read invoices'}`),
    );
    expect(message).toContain('differs only in case from `billing:read`');
  });

  it('list shows the built-in vault API and OpenID sign-in first, then the registered ones, never a secret', async () => {
    const result = await kh(cmd`resource-server list --json`);
    expect(result.code, result.stderr).toBe(0);
    const list = JSON.parse(result.stdout) as ResourceServerView[];
    expect(list.map((s) => s.identifier)).toEqual([
      'urn:keyhold:vault-api',
      'urn:keyhold:openid',
      BILLING,
      'urn:example:reports',
    ]);
    expect(list[0]?.builtIn).toBe(true);
    expect(list[1]?.builtIn).toBe(true);
    const text = await kh(cmd`resource-server list`);
    expect(text.stdout).toMatch(/^ID\s+IDENTIFIER\s+NAME\s+TOKENS\s+SCOPES/);
    expect(text.stdout).toContain('(built-in)');
    expect(text.stdout).toContain('billing:write (exclusive)');
    for (const secret of issued) {
      expect(result.stdout).not.toContain(secret);
      expect(text.stdout).not.toContain(secret);
    }
  });
});

describe('keyhold client', () => {
  it('create --json registers a client with catalog scopes and prints its secret once', async () => {
    app = await json(
      cmd`client create ${'Invoices app'} --redirect-uri ${CALLBACK} --scope billing:read --scope billing:write --scope vault:read`,
    );
    expect(app).toMatchObject({
      name: 'Invoices app',
      authMethod: 'client_secret_basic',
      redirectUris: [CALLBACK],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['billing:read', 'billing:write', 'vault:read'],
    });
    expect(app.clientId).toMatch(/^kc-[a-z0-9]{26}$/);
    expect(app.clientSecret).toMatch(/^khcs_[A-Za-z0-9_-]{43}$/);
    issued.push(app.clientSecret);
  });

  it('create --public registers a client without a secret, and says nothing about one', async () => {
    const result = await kh(
      cmd`client create ${'Desktop'} --public --redirect-uri http://127.0.0.1:7777/cb --scope vault:read`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('auth method:   none (public client, PKCE)');
    expect(result.stdout).not.toContain('secret');
  });

  it('create --dpop-bound-access-tokens registers a client that must prove a DPoP key, and says so', async () => {
    const result = await kh(
      cmd`client create ${'Bound'} --public --dpop-bound-access-tokens --redirect-uri http://127.0.0.1:7778/cb --scope vault:read`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('DPoP:          required (every token request needs a proof)');
    const listed =
      await json<{ clientId: string; name: string; dpopBoundAccessTokens: boolean }[]>(cmd`client list`);
    const bound = listed.find((c) => c.name === 'Bound');
    expect(bound?.dpopBoundAccessTokens).toBe(true);
    expect(listed.find((c) => c.name === 'Desktop')?.dpopBoundAccessTokens).toBe(false);
    expect((await kh(cmd`client delete ${bound?.clientId ?? ''}`)).code).toBe(0);
  });

  it('create --require-par and --fapi2 register clients held to PAR and the FAPI 2.0 profile, and say so', async () => {
    const par = await kh(
      cmd`client create ${'Pushed'} --require-par --redirect-uri ${CALLBACK} --scope vault:read`,
    );
    expect(par.code, par.stderr).toBe(0);
    expect(par.stdout).toContain(
      'PAR:           required (authorization requests through the PAR endpoint only)',
    );
    expect(par.stdout).not.toContain('FAPI');
    // Without public keys the profile cannot be met: refused, saying what is missing.
    expect(
      failure(await kh(cmd`client create ${'Bank'} --fapi2 --redirect-uri ${CALLBACK} --scope vault:read`)),
    ).toBe(
      'keyhold: the FAPI 2.0 Security Profile authenticates clients with private_key_jwt only (not client_secret_basic): register the client with its public keys (jwks)',
    );
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
    const jwksFile = path.join(dataDir, 'bank-jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }] }));
    const fapi = await kh(
      cmd`client create ${'Bank'} --fapi2 --jwks ${jwksFile} --redirect-uri ${CALLBACK} --scope vault:read`,
    );
    expect(fapi.code, fapi.stderr).toBe(0);
    expect(fapi.stdout).toContain('auth method:   private_key_jwt');
    expect(fapi.stdout).toContain('DPoP:          required');
    expect(fapi.stdout).toContain('PAR:           required');
    expect(fapi.stdout).toContain('profile:       FAPI 2.0 Security Profile');
    const listed = await json<(ClientView & Record<string, unknown>)[]>(cmd`client list`);
    for (const name of ['Pushed', 'Bank']) {
      const c = listed.find((x) => x.name === name);
      expect(c).toMatchObject({
        requirePushedAuthorizationRequests: true,
        fapi2SecurityProfile: name === 'Bank',
        dpopBoundAccessTokens: name === 'Bank',
      });
      expect((await kh(cmd`client delete ${c?.clientId ?? ''}`)).code).toBe(0);
    }
  });

  it('create with a misspelled scope exits non-zero and names the near-miss', async () => {
    const typo = failure(await kh(cmd`client create Typo --redirect-uri ${CALLBACK} --scope billing:raed`));
    expect(typo).toBe('keyhold: scope `billing:raed` is not in the catalog (did you mean `billing:read`?)');
    const lockout = failure(
      await kh(cmd`client create Lockout --redirect-uri ${CALLBACK} --scope Vault:Read`),
    );
    expect(lockout).toContain('(did you mean `vault:read`?)');
    const names = (await json<ClientView[]>(cmd`client list`)).map((c) => c.name);
    expect(names).toEqual(['Invoices app', 'Desktop']);
  });

  it('create refuses what the rules forbid, with the reason', async () => {
    expect(
      failure(await kh(cmd`client create Bad --redirect-uri http://app.example.com/cb --scope vault:read`)),
    ).toContain('`http` is allowed only for the loopback IP literals');
    expect(
      failure(await kh(cmd`client create Bad --public --grant-type client_credentials --scope vault:read`)),
    ).toContain('a public client cannot use client_credentials');
    expect(failure(await kh(cmd`client create Bad --grant-type password --scope vault:read`))).toContain(
      '--grant-type "password" is not allowed; use one of authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:token-exchange',
    );
    expect(
      failure(await kh(cmd`client create Bad --scope vault:read --jwks ${path.join(dataDir, 'none.json')}`)),
    ).toContain('cannot read');
    expect(failure(await kh(cmd`client create Bad --redirect-uri ${CALLBACK}`))).toContain(
      "'--scope <scope>' not specified",
    );
  });

  it('list and get never show a secret', async () => {
    const list = await kh(cmd`client list`);
    expect(list.stdout).toMatch(/^CLIENT ID\s+NAME\s+AUTH/);
    expect(list.stdout).toContain(app.clientId);
    const got = await json<ClientView>(cmd`client get ${app.clientId}`);
    expect(got).toEqual({ ...app, clientSecret: undefined, createdAt: expect.any(String) });
    const text = await kh(cmd`client get ${app.clientId}`);
    expect(text.stdout).toContain(`Invoices app (${app.clientId})`);
    for (const secret of issued) {
      expect(list.stdout).not.toContain(secret);
      expect(text.stdout).not.toContain(secret);
    }
  });
});

describe('keyhold client rotate-secret', () => {
  it('prints a new secret once; the old one is refused at the token endpoint', async () => {
    const service = await json<ClientView & { clientSecret: string }>(
      cmd`client create ${'Rotating job'} --scope billing:read`,
    );
    const rotated = await kh(cmd`client rotate-secret ${service.clientId}`);
    expect(rotated.code, rotated.stderr).toBe(0);
    const secret = rotated.stdout.trim().split('\n').at(-1) ?? '';
    expect(secret).toMatch(/^khcs_[A-Za-z0-9_-]{43}$/);
    expect(rotated.stdout).toContain('the old one no longer works');
    const tokenWith = (s: string) =>
      fetch(`${server.url}/oauth/${init.accountId}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${service.clientId}:${s}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=billing%3Aread',
      });
    expect((await tokenWith(service.clientSecret)).status).toBe(401);
    expect((await tokenWith(secret)).status).toBe(200);
    const again = await json<{ clientSecret: string }>(cmd`client rotate-secret ${service.clientId}`);
    expect(again.clientSecret).not.toBe(secret);
    expect(failure(await kh(cmd`client rotate-secret ${`kc-${'z'.repeat(26)}`}`))).toBe(
      `keyhold: no client named or with id 'kc-${'z'.repeat(26)}'`,
    );
    // Leave the registry as the later tests expect it.
    expect((await kh(cmd`client delete ${service.clientId}`)).code).toBe(0);
  });
});

describe('keyhold client update', () => {
  it('changes a client by name, turns PAR on and off, and refuses an empty change before any request', async () => {
    const made = await json<ClientView>(
      cmd`client create ${'Updated app'} --scope billing:read --redirect-uri ${CALLBACK}`,
    );
    const updated = await kh(
      cmd`client update ${'Updated app'} --name ${'Renamed app'} --require-par --redirect-uri ${`${CALLBACK}2`}`,
    );
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain(`Client Renamed app updated\nRenamed app (${made.clientId})`);
    expect(updated.stdout).toContain('PAR:           required');
    const got = await json<ClientView>(cmd`client get ${made.clientId}`);
    expect(got).toMatchObject({
      name: 'Renamed app',
      redirectUris: [`${CALLBACK}2`],
      scopes: ['billing:read'],
      requirePushedAuthorizationRequests: true,
    });
    const off = await json<ClientView & { requirePushedAuthorizationRequests: boolean }>(
      cmd`client update ${made.clientId} --no-require-par`,
    );
    expect(off.requirePushedAuthorizationRequests).toBe(false);
    expect(failure(await kh(cmd`client update ${made.clientId}`))).toBe(
      'keyhold: nothing to change: give at least one option (see keyhold client update --help)',
    );
    expect(failure(await kh(cmd`client update ${made.clientId} --scope billing:raed`))).toContain(
      'scope `billing:raed` is not in the catalog (did you mean `billing:read`?)',
    );
    expect((await kh(cmd`client delete ${made.clientId}`)).code).toBe(0);
  });
});

describe('keyhold scopes check', () => {
  it('exits 0 on the consistent catalog', async () => {
    const result = await kh(cmd`scopes check`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('The scope catalog is consistent: no problems found.\n');
    expect(await json(cmd`scopes check`)).toEqual({ ok: true, problems: [] });
  });

  it('exits 1 and prints the errors first when a client lists a scope the catalog lacks', async () => {
    // The seed's catalog, as it was before registration checked scopes: written to the database directly.
    const db = new Database(path.join(dataDir, 'keyhold.db'), { fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      db.prepare(
        `INSERT INTO oauth_clients (id, account_id, name, auth_method, secret_hash, jwks, redirect_uris, grant_types, scopes, created_at)
         VALUES (?, ?, 'Legacy app', 'none', NULL, NULL, ?, '["authorization_code"]', '["Vault:Read"]', ?)`,
      ).run(`kc-${'l'.repeat(26)}`, init.accountId, JSON.stringify([CALLBACK]), new Date().toISOString());
    } finally {
      db.close();
    }
    const result = await kh(cmd`scopes check --json`);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('keyhold: the scope catalog has 1 error; fix them and check again\n');
    const report = JSON.parse(result.stdout) as { ok: boolean; problems: Problem[] };
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({
      severity: 'error',
      code: 'client_scope_unknown',
      subject: `kc-${'l'.repeat(26)}`,
      suggestion: 'vault:read',
    });
    expect(report.problems.every((p, i) => i === 0 || p.severity === 'warning')).toBe(true);

    const text = await kh(cmd`scopes check`);
    expect(text.code).toBe(1);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+CODE\s+SUBJECT\s+MESSAGE/);
    expect(lines[1]).toMatch(/^error\s+client_scope_unknown\s+kc-l{26}\s+.*did you mean `vault:read`\?/);
    expect(lines.at(-1)).toMatch(/^1 error, \d+ warnings?$/);

    expect((await kh(cmd`client delete ${`kc-${'l'.repeat(26)}`}`)).code).toBe(0);
    expect((await kh(cmd`scopes check`)).code).toBe(0);
  });
});

describe('keyhold grant', () => {
  it('list --json is empty before any user consents', async () => {
    expect(await json(cmd`grant list`)).toEqual([]);
    expect((await kh(cmd`grant list`)).stdout).toBe('(none)\n');
  });

  it('list refuses a malformed user id, and revoke an unknown grant', async () => {
    expect(failure(await kh(cmd`grant list --user nope`))).toBe("keyhold: no user with email or id 'nope'");
    const id = 'g'.repeat(26);
    expect(failure(await kh(cmd`grant revoke ${id}`))).toBe(`keyhold: no grant with id '${id}'`);
  });
});

describe('deleting in reverse order', () => {
  it('refuses to delete a resource server a client still uses, naming the client; then deletes both', async () => {
    const message = failure(await kh(cmd`resource-server delete ${billing.id as string}`));
    expect(message).toContain(app.clientId);
    const deleted = await kh(cmd`client delete ${app.clientId}`);
    expect(deleted.stdout).toBe(`Client ${app.name} (${app.clientId}) deleted\n`);
    expect(await json(cmd`resource-server delete ${billing.id as string}`)).toEqual({
      id: billing.id,
      deleted: true,
    });
    const left = (await json<ResourceServerView[]>(cmd`resource-server list`)).map((s) => s.identifier);
    expect(left).toEqual(['urn:keyhold:vault-api', 'urn:keyhold:openid', 'urn:example:reports']);
  });
});
