import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { VERSION } from '../../version.js';
import { errorBody } from './responses/common.js';
import { ADMIN_TAGS, type AdminOperation, adminRoute } from './route.js';

/**
 * The admin API's OpenAPI 3.1 document, built from the routes themselves: every route registered
 * with `adminRoute` carries its description (route.ts), collected here as Fastify adds it, and
 * zod 4's own `z.toJSONSchema` turns its schemas into JSON Schema 2020-12 (OpenAPI 3.1's
 * dialect). Served without authentication at `GET /api/admin/openapi.json`: it holds no data.
 */

/** Where the document is served, below the admin prefix; the authentication hook lets it by. */
export const OPENAPI_PATH = '/openapi.json';

/** A described route as Fastify registered it: its full URL (prefix included) and description. */
export interface DescribedRoute {
  url: string;
  operation: AdminOperation;
}

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  jsonSchemaDialect: string;
  servers: { url: string }[];
  tags: { name: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, JsonSchema>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
    responses: Record<string, JsonSchema>;
  };
}

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Collects the described routes of this plugin (and of plugins registered inside it) and serves
 * the document. Call it before the routes are registered: Fastify tells `onRoute` hooks only of
 * routes added after them.
 */
export function describeAdminApi(app: FastifyInstance): void {
  const routes: DescribedRoute[] = [];
  app.addHook('onRoute', (route) => {
    const operation = route.config?.adminApi;
    // HEAD routes Fastify adds beside each GET share its config: documented once, as the GET.
    if (operation && route.method !== 'HEAD') routes.push({ url: route.url, operation });
  });
  let document: OpenApiDocument | undefined;
  adminRoute(app, {
    method: 'GET',
    path: OPENAPI_PATH,
    summary: 'This description of the admin API (OpenAPI 3.1); needs no authentication',
    tag: 'API description',
    auth: 'none',
    response: { status: 200, body: z.record(z.string(), z.unknown()).meta({ description: 'OpenAPI 3.1' }) },
    handler: () => {
      document ??= openApiDocument(routes);
      return document;
    },
  });
}

/** Fastify's `/vaults/:vaultId` as OpenAPI's `/vaults/{vaultId}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Builds the document from described routes (full URLs, as Fastify registered them). */
export function openApiDocument(routes: readonly DescribedRoute[]): OpenApiDocument {
  const components = new Components();
  components.schema(errorBody, 'output');
  const paths: OpenApiDocument['paths'] = {};
  for (const { url, operation } of routes) {
    const path = openApiPath(url);
    const item = paths[path] ?? {};
    paths[path] = item;
    item[operation.method.toLowerCase()] = describeOperation(url, operation, components);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Keyhold admin API',
      version: VERSION,
      description:
        'The admin API of the central Keyhold service (docs/admin-api.md): vaults and items, people, Connect servers, the OAuth registry and the audit trail.',
    },
    jsonSchemaDialect: DIALECT,
    servers: [{ url: '/' }],
    tags: ADMIN_TAGS.map((name) => ({ name })),
    security: [{ bearerAuth: [] }, { cookieAuth: [] }],
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An admin API token (`khadm_…`), or the access token of a CLI sign-in (`khat_…`, `keyhold login`).',
        },
        cookieAuth: {
          type: 'apiKey',
          in: 'cookie',
          name: 'keyhold_console',
          description:
            "The web console's session (http-only, SameSite=Strict, Path=/api/admin), set by POST /api/admin/session; a state-changing request (POST, PUT, PATCH, DELETE) also sends the session's `csrfToken` in the `x-csrf-token` header, and an `Origin`, when sent, must be the service's own.",
        },
        secondStepCookieAuth: {
          type: 'apiKey',
          in: 'cookie',
          name: 'keyhold_console_mfa',
          description:
            'A console sign-in whose password was right and whose second step is pending (http-only, Path=/api/admin/session), set by POST /api/admin/session.',
        },
      },
      responses: {
        Error: {
          description: 'An error: `{status, code, message}` (docs/errors.md).',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  };
}

function describeOperation(url: string, op: AdminOperation, components: Components): JsonSchema {
  const parameters: Parameter[] = [
    ...parametersOf(op.params, 'path', components),
    ...parametersOf(op.query, 'query', components),
    ...csrfHeader(op),
  ];
  const declared = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
  for (const name of declared) {
    if (!parameters.some((p) => p.in === 'path' && p.name === name)) {
      throw new Error(`${op.method} ${url}: path parameter ${name} has no schema`);
    }
  }
  const out: JsonSchema = {
    operationId: operationId(op.method, url),
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    ...securityOf(op),
    ...(parameters.length > 0 ? { parameters } : {}),
  };
  const requestBody = requestBodyOf(op, components);
  if (requestBody) out.requestBody = requestBody;
  const ok = op.response;
  const success: JsonSchema = { description: ok.description ?? describeStatus(ok.status) };
  if ('body' in ok)
    success.content = { 'application/json': { schema: components.schema(ok.body, 'output') } };
  if ('bytes' in ok)
    success.content = { [ok.bytes]: { schema: { type: 'string', contentMediaType: ok.bytes } } };
  const others: Record<string, JsonSchema> = {};
  for (const other of op.otherResponses ?? []) {
    others[String(other.status)] = {
      description: other.description,
      ...(other.body
        ? { content: { 'application/json': { schema: components.schema(other.body, 'output') } } }
        : {}),
    };
  }
  out.responses = {
    [String(ok.status)]: success,
    ...others,
    '4XX': { $ref: '#/components/responses/Error' },
    '5XX': { $ref: '#/components/responses/Error' },
  };
  return out;
}

/** Who may call the operation; the document's default (bearer or console cookie) when unsaid. */
function securityOf(op: AdminOperation): JsonSchema {
  switch (op.auth ?? 'admin') {
    case 'none':
      return { security: [] };
    case 'console':
      return { security: [{ cookieAuth: [] }] };
    case 'console-second-step':
      return { security: [{ secondStepCookieAuth: [] }] };
    default:
      return {};
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The CSRF header of a state-changing request made with the console cookie: required on the
 * routes only the cookie opens, and on the others whenever the cookie (not a bearer) is used.
 */
function csrfHeader(op: AdminOperation): Parameter[] {
  const auth = op.auth ?? 'admin';
  if (!UNSAFE_METHODS.has(op.method) || (auth !== 'admin' && auth !== 'console')) return [];
  return [
    {
      name: 'x-csrf-token',
      in: 'header',
      required: auth === 'console',
      schema: { type: 'string' },
      description:
        auth === 'console'
          ? "The console session's `csrfToken` (GET /api/admin/session); else 403 `csrf_refused`."
          : "With the console cookie (cookieAuth): the session's `csrfToken`, else 403 `csrf_refused`. Not sent with a bearer token.",
    },
  ];
}

function describeStatus(status: number): string {
  return status === 201 ? 'Created' : status === 204 ? 'Done; no content' : 'OK';
}

/** `GET /vaults/:vaultId/items` → `getVaultsVaultIdItems`: unique, stable, readable. */
function operationId(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/admin\//, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
  description?: string;
}

function parametersOf(
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
  components: Components,
): Parameter[] {
  if (!schema) return [];
  const json = components.schema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

function requestBodyOf(op: AdminOperation, components: Components): JsonSchema | undefined {
  if (op.body) {
    return {
      required: !op.bodyOptional,
      content: { 'application/json': { schema: components.schema(op.body, 'input') } },
    };
  }
  const raw = op.unparsedBody;
  if (!raw) return undefined;
  if ('json' in raw) {
    return {
      required: true,
      content: { 'application/json': { schema: components.schema(raw.json, 'input') } },
    };
  }
  return {
    required: true,
    content: { [raw.bytes]: { schema: { type: 'string', contentMediaType: raw.bytes } } },
  };
}

/**
 * The document's `components.schemas`: every schema that names itself (`.meta({id})`) is
 * written there once and referred to; the rest is inline. One name for two different schemas
 * is refused.
 */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  schema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
    }) as JsonSchema;
    const { $schema: _dialect, $defs, ...root } = json;
    for (const [name, raw] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      // A named schema refers to others too (FullItem to File): by their place in the document.
      const def = rewriteRefs(raw) as JsonSchema;
      const known = this.schemas[name];
      if (known !== undefined && JSON.stringify(known) !== JSON.stringify(def)) {
        throw new Error(`two different schemas are both named ${name}`);
      }
      this.schemas[name] = def;
    }
    return rewriteRefs(root) as JsonSchema;
  }
}

/** `#/$defs/X` → `#/components/schemas/X`. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
      out[key] = `#/components/schemas/${v.slice('#/$defs/'.length)}`;
    } else {
      out[key] = rewriteRefs(v);
    }
  }
  return out;
}
