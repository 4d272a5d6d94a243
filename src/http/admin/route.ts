import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { RequestContext } from '../../domain/context.js';
import { parseInput } from '../validate.js';

/**
 * One admin API route, described where it is registered: its input schemas (parsed here, with
 * `parseInput`'s messages), its success answer, a one-line summary and a tag. The description
 * rides on the Fastify route (`config.adminApi`), and the OpenAPI document (openapi.ts) is built
 * from the routes Fastify actually has, so what is served and what is documented are one list.
 */

/** The groups of the document, in the order they are listed. */
export const ADMIN_TAGS = [
  'Identity',
  'Session',
  'Admin tokens',
  'Accounts',
  'Vaults',
  'Items',
  'Files',
  'Users',
  'MFA',
  'Audit',
  'Connect',
  'Signing keys',
  'OAuth',
  'API description',
] as const;
export type AdminTag = (typeof ADMIN_TAGS)[number];

export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The success answer: a JSON body, no content, or bytes (a file download). */
export type AdminResponse =
  | { status: 200 | 201; body: z.ZodType; description?: string }
  | { status: 204; description?: string }
  | { status: 200; bytes: string; description?: string };

/**
 * A request body the route does not parse itself, documented all the same: JSON checked by the
 * service (items: every refused write is audited there), or raw bytes (a file upload).
 */
export type UnparsedBody = { json: z.ZodType } | { bytes: string };

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface AdminInput<P, Q, B> {
  ctx: RequestContext;
  params: Parsed<P>;
  query: Parsed<Q>;
  /** The parsed body; with `unparsedBody`, the body as it came (`unknown`). */
  body: B extends z.ZodType ? z.output<B> : unknown;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface AdminOperation {
  method: AdminMethod;
  /** Below the plugin's prefix, with Fastify's `:param`s (`/vaults/:vaultId`). */
  path: string;
  summary: string;
  tag: AdminTag;
  /** Longer text for the document, when the summary is not enough. */
  description?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** An absent body reads as `{}` (the body's fields are all optional). */
  bodyOptional?: true;
  unparsedBody?: UnparsedBody;
  response: AdminResponse;
  /**
   * Who may call it. `admin` (the default): an admin token, a CLI sign-in or the console cookie,
   * checked by the admin plugin's hook. `none`: answered without authentication (the API's
   * description, the console's sign-in). `console`: the route checks the console cookie itself
   * (the console's own session). `console-second-step`: the cookie of a sign-in whose second
   * step is pending. Only `admin` routes pass through the admin hook.
   */
  auth?: 'admin' | 'none' | 'console' | 'console-second-step';
  /** Answers besides the success and the `{status, code, message}` errors, when they say more. */
  otherResponses?: Array<{ status: number; description: string; body?: z.ZodType }>;
}

export interface AdminRouteSpec<P, Q, B> extends AdminOperation {
  params?: P & z.ZodType;
  query?: Q & z.ZodType;
  body?: B & z.ZodType;
  handler(input: AdminInput<P, Q, B>): unknown;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's description in the admin API's OpenAPI document (route.ts). */
    adminApi?: AdminOperation;
  }
}

/**
 * Registers an admin route: parses the path parameters, then the query, then the body (each
 * failure a `400 invalid_input` saying `path:`, `query:` or `body:`), calls the handler, and
 * answers with the documented status (`204` with no body for "no content").
 */
export function adminRoute<P = undefined, Q = undefined, B = undefined>(
  app: FastifyInstance,
  spec: AdminRouteSpec<P, Q, B>,
): void {
  const { handler, ...operation } = spec;
  const { params, query, body, bodyOptional, response } = operation;
  app.route({
    method: spec.method,
    url: spec.path,
    config: { adminApi: operation },
    handler: async (request, reply) => {
      const input = {
        ctx: request.ctx,
        params: params ? parseInput(params, request.params, 'path') : undefined,
        query: query ? parseInput(query, request.query, 'query') : undefined,
        body: body
          ? parseInput(body, bodyOptional ? (request.body ?? {}) : request.body, 'body')
          : request.body,
        request,
        reply,
      } as AdminInput<P, Q, B>;
      const answer = await handler(input);
      if (response.status === 204) return reply.status(204).send();
      if (response.status !== 200) reply.status(response.status);
      return answer;
    },
  });
}
