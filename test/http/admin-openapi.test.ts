import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../../src/http/admin/openapi.js';
import type { AdminOperation } from '../../src/http/admin/route.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The admin API's OpenAPI document against the routes Fastify has (issue 19, "checked in CI
 * against the routes"): it is a well-formed OpenAPI 3.1 document, it lists every route under
 * /api/admin with its method and nothing else, and real answers of real requests are what it
 * says (each success body parsed with the route's own zod schema, the one the document is built
 * from; the schemas are strict, so a member the answer has and the schema does not is caught).
 */

type Json = Record<string, unknown>;
interface Doc {
  openapi: string;
  info: Json;
  jsonSchemaDialect: string;
  servers: Array<{ url: string }>;
  tags: Array<{ name: string }>;
  security: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json>; responses: Json };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const PREFIX = '/api/admin';

/** Every route Fastify registered under /api/admin (HEADs beside GETs left out), with its description. */
const routes = new Map<string, AdminOperation | undefined>();
/** The success answers of the requests made, with the operation that answered them. */
const answers: Array<{ route: string; status: number; body: string; operation: AdminOperation }> = [];

function collect(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.url !== PREFIX && !route.url.startsWith(`${PREFIX}/`)) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.set(`${method} ${route.url}`, route.config?.adminApi);
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const operation = request.routeOptions.config.adminApi;
    if (operation && reply.statusCode < 300 && typeof payload === 'string') {
      answers.push({
        route: `${request.method} ${request.routeOptions.url}`,
        status: reply.statusCode,
        body: payload,
        operation,
      });
    }
    return payload;
  });
}

let t: TestApp;
let doc: Doc;

beforeAll(async () => {
  t = await startTestApp({}, { beforeReady: collect });
  const res = await t.app.inject({ url: `${PREFIX}/openapi.json` });
  expect(res.statusCode).toBe(200);
  doc = res.json();
});
afterAll(async () => t?.close());

/** Resolves a local `$ref` (`#/components/...`), failing the test when it points nowhere. */
function resolve(ref: string): unknown {
  expect(ref.startsWith('#/'), ref).toBe(true);
  let at: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    at = (at as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  expect(at, `${ref} resolves`).toBeDefined();
  return at;
}

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

describe('the admin OpenAPI document', () => {
  it('is a well-formed OpenAPI 3.1 document', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc.servers.every((s) => typeof s.url === 'string')).toBe(true);
    const tags = new Set(doc.tags.map((tag) => tag.name));
    const schemes = doc.components.securitySchemes;
    for (const [name, scheme] of Object.entries(schemes)) {
      expect(['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'], name).toContain(scheme.type);
      if (scheme.type === 'apiKey') {
        expect(['query', 'header', 'cookie'], name).toContain(scheme.in);
        expect(typeof scheme.name, name).toBe('string');
      }
      if (scheme.type === 'http') expect(typeof scheme.scheme, name).toBe('string');
    }
    const checkSecurity = (security: unknown, where: string) => {
      expect(Array.isArray(security), where).toBe(true);
      for (const requirement of security as Array<Record<string, unknown>>) {
        for (const name of Object.keys(requirement)) expect(Object.keys(schemes), where).toContain(name);
      }
    };
    checkSecurity(doc.security, 'document');

    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith('/'), path).toBe(true);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(METHODS, where).toContain(method);
        expect(typeof op.operationId, where).toBe('string');
        expect(operationIds.has(op.operationId as string), `${where}: operationId is unique`).toBe(false);
        operationIds.add(op.operationId as string);
        expect(typeof op.summary, where).toBe('string');
        for (const tag of op.tags as string[]) expect([...tags], where).toContain(tag);
        if (op.security !== undefined) checkSecurity(op.security, where);

        const parameters = (op.parameters ?? []) as Json[];
        const seen = new Set<string>();
        for (const p of parameters) {
          expect(['path', 'query', 'header', 'cookie'], where).toContain(p.in);
          expect(typeof p.name, where).toBe('string');
          expect(p.schema, `${where} ${p.name}`).toBeTypeOf('object');
          expect(seen.has(`${p.in} ${p.name}`), `${where}: ${p.name} once`).toBe(false);
          seen.add(`${p.in} ${p.name}`);
          if (p.in === 'path') expect(p.required, `${where} ${p.name}`).toBe(true);
        }
        // Every {param} of the path is a path parameter, and no other is.
        const pathParams = parameters.filter((p) => p.in === 'path').map((p) => p.name);
        expect(pathParams.sort(), where).toEqual([...templated].sort());

        if (op.requestBody !== undefined) {
          const body = op.requestBody as Json;
          expect(Object.keys(body.content as Json).length, where).toBeGreaterThan(0);
          expect(method, `${where}: no body on GET`).not.toBe('get');
        }
        const responses = op.responses as Record<string, Json>;
        const codes = Object.keys(responses);
        expect(codes.length, where).toBeGreaterThan(0);
        expect(
          codes.some((c) => /^2/.test(c)),
          `${where} has a success answer`,
        ).toBe(true);
        for (const [code, response] of Object.entries(responses)) {
          expect(code, where).toMatch(/^([1-5][0-9][0-9]|[1-5]XX|default)$/);
          const answer = (response.$ref ? resolve(response.$ref as string) : response) as Json;
          expect(typeof answer.description, `${where} ${code}`).toBe('string');
          for (const [type, media] of Object.entries((answer.content ?? {}) as Record<string, Json>)) {
            expect(type, where).toMatch(/^[a-z]+\/[a-z0-9.+-]+$/);
            expect(media.schema, `${where} ${code} ${type}`).toBeTypeOf('object');
          }
        }
      }
    }
    // Every reference anywhere in the document leads somewhere.
    for (const ref of refsIn(doc)) resolve(ref);
  });

  it('documents every route Fastify has under /api/admin, with its method, and nothing more', () => {
    const served = [...routes.keys()].map((route) => {
      const [method = '', url = ''] = route.split(' ');
      return `${method} ${openApiPath(url)}`;
    });
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(served.length).toBeGreaterThan(60);
    expect(documented.sort()).toEqual(served.sort());
    // Each was registered through adminRoute (so carries its schemas).
    expect([...routes].filter(([, op]) => op === undefined).map(([route]) => route)).toEqual([]);
  });

  it('states how the console authenticates: the session cookie and the x-csrf-token header', () => {
    expect(doc.components.securitySchemes.cookieAuth).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'keyhold_console',
    });
    const signIn = doc.paths[`${PREFIX}/session`]?.post as Json;
    expect(signIn.security).toEqual([]);
    expect(doc.paths[`${PREFIX}/session/second-step`]?.post?.security).toEqual([
      { secondStepCookieAuth: [] },
    ]);
    expect(doc.paths[`${PREFIX}/session`]?.get?.security).toEqual([{ cookieAuth: [] }]);
    const csrf = (op: Json | undefined) =>
      ((op?.parameters ?? []) as Json[]).find((p) => p.in === 'header' && p.name === 'x-csrf-token');
    expect(csrf(doc.paths[`${PREFIX}/session`]?.delete)?.required).toBe(true);
    expect(csrf(doc.paths[`${PREFIX}/session/password`]?.post)?.required).toBe(true);
    // On the routes a bearer opens too, the header is there, but only needed with the cookie.
    expect(csrf(doc.paths[`${PREFIX}/vaults`]?.post)?.required).toBe(false);
    expect(csrf(doc.paths[`${PREFIX}/vaults`]?.get)).toBeUndefined();
    expect(csrf(signIn)).toBeUndefined();
  });

  it('describes what real requests answer', async () => {
    const api = client(t.app, t.token);
    // A success of any kind: whether it is the documented one is checked below, for all at once.
    const ok = async (res: Promise<{ statusCode: number; json(): unknown; body: string }>) => {
      const r = await res;
      expect(r.statusCode, r.body).toBeLessThan(300);
      return (r.body === '' ? {} : r.json()) as Json;
    };
    const vault = await ok(api.post('/vaults', { name: 'Team', description: 'shared' }));
    await ok(api.get('/vaults'));
    await ok(api.get(`/vaults/${vault.id}`));
    const item = await ok(
      api.post(`/vaults/${vault.id}/items`, {
        title: 'Mail',
        category: 'LOGIN',
        tags: ['work'],
        urls: [{ href: 'https://mail.example', primary: true }],
        fields: [
          { id: 'username', type: 'STRING', purpose: 'USERNAME', label: 'username', value: 'ann' },
          { id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', label: 'password', value: 's3cret!' },
        ],
      }),
    );
    await ok(api.get(`/vaults/${vault.id}/items`));
    await ok(api.get(`/vaults/${vault.id}/items/${item.id}`));
    await ok(api.put(`/vaults/${vault.id}/items/${item.id}`, { ...item, title: 'Mail 2' }));
    await ok(api.get(`/vaults/${vault.id}/items/${item.id}/versions`));
    await ok(api.get(`/vaults/${vault.id}/items/${item.id}/versions/1`));
    const user = await ok(api.post('/users', { email: 'ann@example.com', role: 'member' }));
    await ok(api.get('/users'));
    await ok(api.put(`/users/${user.id}/vaults/${vault.id}`, { permissions: ['read'] }));
    await ok(api.get(`/users/${user.id}/vaults`));
    await ok(api.post(`/users/${user.id}/password-reset`));
    await ok(api.get(`/users/${user.id}/mfa`));
    await ok(api.put(`/users/${user.id}/name`, { name: 'Ann Example' }));
    await ok(api.post('/admin-tokens', { name: 'ci', role: 'connect-manager' }));
    await ok(api.get('/admin-tokens'));
    const server = await ok(api.post('/servers', { name: 'edge', vaults: [vault.id] }));
    await ok(
      api.post(`/servers/${server.id}/tokens`, {
        name: 'app',
        vaults: [{ vaultId: vault.id, permissions: ['read'] }],
      }),
    );
    await ok(api.get(`/servers/${server.id}/tokens`));
    await ok(api.post('/clients', { name: 'app', redirectUris: ['https://app.example/cb'], scopes: [] }));
    await ok(api.get('/clients'));
    await ok(api.get('/resource-servers'));
    await ok(api.get('/scopes/check'));
    await ok(api.get('/keys'));
    await ok(api.get('/account/policy'));
    await ok(api.get('/whoami'));
    await ok(api.get('/audit?limit=200'));

    // The console's session, with its cookie and CSRF token.
    const password = 'a long enough password 1';
    const person = await ok(api.post('/users', { email: 'bo@example.com', role: 'admin', password }));
    const signIn = await t.app.inject({
      method: 'POST',
      url: `${PREFIX}/session`,
      payload: { email: 'bo@example.com', password },
    });
    expect(signIn.statusCode, signIn.body).toBe(200);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? '';
    const session = signIn.json() as { csrfToken: string; user: { id: string } };
    expect(session.user.id).toBe(person.id);
    const asConsole = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
      t.app.inject({
        method,
        url: `${PREFIX}${url}`,
        headers: { cookie, 'x-csrf-token': session.csrfToken },
        ...(payload ? { payload } : {}),
      });
    await ok(asConsole('GET', '/session'));
    await ok(asConsole('GET', '/session/mfa'));
    await ok(asConsole('PUT', '/session/name', { name: 'Bo Example' }));
    await ok(asConsole('POST', '/session/mfa/enrolment'));
    await ok(asConsole('GET', '/audit'));
    await ok(asConsole('POST', '/session/password', { current: password, next: `${password}!` }));
    await ok(asConsole('DELETE', '/session'));

    const answered = new Set(answers.map((a) => a.route));
    expect(answered.size).toBeGreaterThan(30);
    const wrong: string[] = [];
    for (const answer of answers) {
      const response = answer.operation.response;
      expect(answer.status, answer.route).toBe(response.status);
      if (!('body' in response)) continue;
      const parsed = response.body.safeParse(JSON.parse(answer.body));
      if (!parsed.success) wrong.push(`${answer.route}: ${parsed.error.message.slice(0, 600)}`);
    }
    expect(wrong).toEqual([]);
  });
});
