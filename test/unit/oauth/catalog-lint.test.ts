import { describe, expect, it } from 'vitest';
import {
  type CatalogClient,
  type CatalogInput,
  type CatalogScope,
  lintCatalog,
} from '../../../src/domain/oauth/catalog-lint.js';

const VAULT_API = 'urn:keyhold:vault-api';
const BILLING_API = 'https://billing.example.com';

const scope = (name: string, over: Partial<CatalogScope> = {}): CatalogScope => ({
  name,
  description: `Lets a client ${name}`,
  exclusive: false,
  resourceServer: VAULT_API,
  ...over,
});

const client = (clientId: string, scopes: string[], over: Partial<CatalogClient> = {}): CatalogClient => ({
  clientId,
  name: clientId,
  scopes,
  redirectUris: ['https://app.example.com/callback'],
  grantTypes: ['authorization_code', 'refresh_token'],
  ...over,
});

/** A clean catalog: the built-in vault API, one exclusive billing scope and two clients. */
function catalog(over: Partial<CatalogInput> = {}): CatalogInput {
  return {
    resourceServers: [
      { identifier: VAULT_API, name: 'Keyhold vault API' },
      { identifier: BILLING_API, name: 'Billing' },
    ],
    scopes: [
      scope('vault:read'),
      scope('vault:write'),
      scope('vault:*:read'),
      scope('invoices:admin', { exclusive: true, resourceServer: BILLING_API }),
    ],
    clients: [
      client('dashboard', ['vault:read', 'vault:*:read']),
      client('billing', ['invoices:admin'], { redirectUris: ['http://127.0.0.1/cb'] }),
    ],
    ...over,
  };
}

describe('lintCatalog', () => {
  it('finds nothing wrong with a clean catalog', () => {
    expect(lintCatalog(catalog())).toEqual([]);
  });

  it('catches the seed’s lockout: a client allowed `Vault:Read` against `vault:read`', () => {
    const input = catalog({
      clients: [client('dashboard', ['vault:read']), client('billing', ['Vault:Read', 'invoices:admin'])],
    });
    expect(lintCatalog(input)).toEqual([
      {
        severity: 'error',
        code: 'client_scope_unknown',
        subject: 'billing',
        message:
          'Client `billing` may request `Vault:Read`, which no resource server defines (did you mean `vault:read`?)',
        suggestion: 'vault:read',
      },
    ]);
  });

  it('reports an unknown scope without a near-miss with no suggestion, once per client', () => {
    const input = catalog({
      clients: [
        client('dashboard', ['vault:read', 'reports:export', 'reports:export']),
        ...catalog().clients,
      ],
    });
    expect(lintCatalog(input)).toEqual([
      {
        severity: 'error',
        code: 'client_scope_unknown',
        subject: 'dashboard',
        message: 'Client `dashboard` may request `reports:export`, which no resource server defines',
      },
    ]);
  });

  it('accepts a client allowed a dynamic scope or a concrete instance of it', () => {
    const input = catalog({
      clients: [...catalog().clients, client('one-vault', ['vault:8f3k2m9q7x1c5v0b4n6z2l8p3r:read'])],
    });
    expect(lintCatalog(input)).toEqual([]);
  });

  it('suggests the concrete instance for a misspelled instance of a dynamic scope', () => {
    const input = catalog({ clients: [...catalog().clients, client('one-vault', ['vualt:abc:read'])] });
    expect(lintCatalog(input)).toMatchObject([
      { code: 'client_scope_unknown', subject: 'one-vault', suggestion: 'vault:abc:read' },
    ]);
  });

  it('reports scopes that differ only in case, and a scope defined twice', () => {
    const input = catalog({
      scopes: [
        ...catalog().scopes,
        scope('Vault:Read'),
        scope('vault:write', { resourceServer: BILLING_API }),
      ],
    });
    expect(lintCatalog(input)).toEqual([
      {
        severity: 'error',
        code: 'scope_case_collision',
        subject: 'Vault:Read',
        message:
          'Scope `Vault:Read` differs from scope `vault:read` only in case; scopes are case-sensitive, ' +
          'so clients will ask for one when they mean the other',
      },
      {
        severity: 'error',
        code: 'scope_case_collision',
        subject: 'vault:write',
        message:
          'Scope `vault:write` is defined twice (by `urn:keyhold:vault-api` and ' +
          '`https://billing.example.com`); scope names must be unique',
      },
    ]);
  });

  it('reports a scope whose resource server is not registered', () => {
    const input = catalog({
      scopes: [...catalog().scopes, scope('reports:read', { resourceServer: 'urn:gone' })],
    });
    expect(lintCatalog(input)).toEqual([
      {
        severity: 'error',
        code: 'scope_without_resource_server',
        subject: 'reports:read',
        message: 'Scope `reports:read` belongs to resource server `urn:gone`, which is not registered',
      },
    ]);
  });

  it('reports every redirect URI that registration would refuse, with the rule', () => {
    const input = catalog({
      clients: [
        ...catalog().clients,
        client('cli', ['vault:read'], {
          redirectUris: ['http://localhost:8080/cb', 'http://127.0.0.1/cb', 'https://app.example.com/cb#x'],
        }),
      ],
    });
    expect(lintCatalog(input)).toEqual([
      {
        severity: 'error',
        code: 'redirect_uri_invalid',
        subject: 'cli',
        message:
          'Client `cli` has redirect URI `http://localhost:8080/cb`, which would be refused: `localhost` is not ' +
          'allowed, because it can resolve elsewhere: use `http://127.0.0.1:<port>/…` or `http://[::1]:<port>/…` ' +
          'instead (RFC 8252 §8.3)',
      },
      {
        severity: 'error',
        code: 'redirect_uri_invalid',
        subject: 'cli',
        message:
          'Client `cli` has redirect URI `https://app.example.com/cb#x`, which would be refused: it has a ' +
          'fragment (`#…`), which a redirect URI must not have (RFC 6749 §3.1.2)',
      },
    ]);
  });

  it('warns about scopes one edit apart that are not a case collision', () => {
    const input = catalog({ scopes: [...catalog().scopes, scope('vault:reads'), scope('Vault:Writ')] });
    expect(lintCatalog(input)).toEqual([
      {
        severity: 'warning',
        code: 'scope_near_duplicate',
        subject: 'Vault:Writ',
        message:
          'Scope `Vault:Writ` is one edit away from scope `vault:write`; a client that asks for one may have ' +
          'meant the other',
      },
      {
        severity: 'warning',
        code: 'scope_near_duplicate',
        subject: 'vault:reads',
        message:
          'Scope `vault:reads` is one edit away from scope `vault:read`; a client that asks for one may have ' +
          'meant the other',
      },
    ]);
  });

  it('warns about an exclusive scope no client is allowed, counting dynamic instances as use', () => {
    const unused = catalog({ clients: [client('dashboard', ['vault:read'])] });
    expect(lintCatalog(unused)).toEqual([
      {
        severity: 'warning',
        code: 'exclusive_scope_unused',
        subject: 'invoices:admin',
        message:
          'Exclusive scope `invoices:admin` is allowed to no client, so no one can obtain it; allow it to a ' +
          'client, make it common, or remove it',
      },
    ]);
    const dynamic = catalog({
      scopes: [scope('vault:read'), scope('vault:*:read', { exclusive: true })],
      resourceServers: [{ identifier: VAULT_API, name: 'Keyhold vault API' }],
      clients: [client('one-vault', ['vault:abc:read'])],
    });
    expect(lintCatalog(dynamic)).toEqual([]);
  });

  it('warns about a resource server without scopes and a client without scopes', () => {
    const input = catalog({
      resourceServers: [
        ...catalog().resourceServers,
        { identifier: 'https://reports.example.com', name: 'Reports' },
      ],
      clients: [...catalog().clients, client('legacy', [])],
    });
    expect(lintCatalog(input)).toEqual([
      {
        severity: 'warning',
        code: 'resource_server_without_scopes',
        subject: 'https://reports.example.com',
        message:
          'Resource server `Reports` (`https://reports.example.com`) defines no scopes, so no token can be ' +
          'issued for it',
      },
      {
        severity: 'warning',
        code: 'client_without_scopes',
        subject: 'legacy',
        message:
          'Client `legacy` is allowed no scopes, so it may request every common scope; list the scopes it needs',
      },
    ]);
  });

  it('sorts errors first, then by subject, and escapes subjects in messages', () => {
    const input = catalog({
      resourceServers: [...catalog().resourceServers, { identifier: 'urn:a', name: 'A' }],
      scopes: [...catalog().scopes, scope('zeta:read', { resourceServer: 'urn:gone' }), scope('vault:reads')],
      clients: [
        client('zed', ['Vault:Read', 'invoices:admin']),
        client('alpha', []),
        client('evil\nclient', ['nope'], { redirectUris: ['http://example.com/cb'] }),
      ],
    });
    const problems = lintCatalog(input);
    expect(problems.map((p) => [p.severity, p.code, p.subject])).toEqual([
      ['error', 'client_scope_unknown', 'evil\nclient'],
      ['error', 'redirect_uri_invalid', 'evil\nclient'],
      ['error', 'client_scope_unknown', 'zed'],
      ['error', 'scope_without_resource_server', 'zeta:read'],
      ['warning', 'client_without_scopes', 'alpha'],
      ['warning', 'resource_server_without_scopes', 'urn:a'],
      ['warning', 'scope_near_duplicate', 'vault:reads'],
    ]);
    for (const p of problems) expect(p.message).not.toContain('\n');
    expect(problems[0]?.message).toContain('Client `evil\\u000aclient`');
  });
});
