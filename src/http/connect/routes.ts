import FindMyWay, { type HTTPVersion } from 'find-my-way';
import { badUrl } from '../../errors/app-error.js';
import type { ConnectReply, ConnectRequest } from './exchange.js';

export type ConnectHandler = (request: ConnectRequest) => Promise<ConnectReply> | ConnectReply;

/**
 * What a request body may be for a route: none, JSON, a JSON Patch (JSON that may also be sent
 * as `application/json-patch+json`), or raw bytes (file uploads). See media-types.ts.
 */
export type BodyKind = 'none' | 'json' | 'json-patch' | 'bytes';

/** A matched route: its handler, the template (the metrics label), its params and query. */
export interface RouteMatch {
  handler: ConnectHandler;
  template: string;
  body: BodyKind;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
}

interface RouteStore {
  template: string;
  body: BodyKind;
}

/** One route as registered, for hosting the same routes on another server (fastify-adapter.ts). */
export interface RouteDefinition {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body: BodyKind;
  handler: ConnectHandler;
}

/**
 * The Connect API's routes, on find-my-way (the router Fastify uses, so matching, parameter
 * decoding and the trailing-slash rule are what they were). A GET route answers HEAD too.
 */
export class ConnectRoutes {
  readonly #definitions: RouteDefinition[] = [];
  readonly #router = FindMyWay<HTTPVersion.V1>({
    // Connect clients send trailing slashes; `/x/` and `/x` are the same route.
    ignoreTrailingSlash: true,
    maxParamLength: 200,
    onBadUrl: (path) => {
      throw badUrl(path);
    },
  });

  get(path: string, handler: ConnectHandler): void {
    this.#add({ method: 'GET', path, handler, body: 'none' });
  }
  post(path: string, handler: ConnectHandler, body: BodyKind = 'json'): void {
    this.#add({ method: 'POST', path, handler, body });
  }
  put(path: string, handler: ConnectHandler): void {
    this.#add({ method: 'PUT', path, handler, body: 'json' });
  }
  patch(path: string, handler: ConnectHandler): void {
    this.#add({ method: 'PATCH', path, handler, body: 'json-patch' });
  }
  delete(path: string, handler: ConnectHandler): void {
    this.#add({ method: 'DELETE', path, handler, body: 'none' });
  }

  get definitions(): readonly RouteDefinition[] {
    return this.#definitions;
  }

  /** The route for a request, or undefined; throws a 400 for a path that is not valid URL syntax. */
  find(method: string, url: string): RouteMatch | undefined {
    const found = this.#router.find(method as never, url);
    if (!found) return undefined;
    const store = found.store as RouteStore | null;
    // find-my-way answers a malformed path with a handler that calls onBadUrl (which throws).
    if (!store) return (found.handler as () => never)();
    return {
      handler: found.handler as unknown as ConnectHandler,
      template: store.template,
      body: store.body,
      params: found.params as Record<string, string>,
      query: found.searchParams as Record<string, string | string[]>,
    };
  }

  #add(route: RouteDefinition): void {
    this.#definitions.push(route);
    const methods = route.method === 'GET' ? ['GET', 'HEAD'] : [route.method];
    const store: RouteStore = { template: route.path, body: route.body };
    this.#router.on(methods as never, route.path, route.handler as never, store);
  }
}
