import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { isOAuthError, OAUTH_ERROR_CODES } from '../../domain/oauth/oauth-error.js';
import type { AuditMeter } from '../../storage/audit-meter.js';
import { DEVICE_CODE_GRANT, GRANT_TYPES, type StorageStats } from '../../storage/ports.js';

/**
 * The sign-in steps, by route template: the password (sign-in page, console) and the second step.
 * Their answers say how each attempt ended: accepted (< 400), invalid input (400), refused (401,
 * 403: a wrong password or code, a disabled user), throttled (429).
 */
const SIGN_IN_ROUTES: Record<string, { surface: 'pages' | 'console'; step: 'password' | 'second_step' }> = {
  'POST /oauth/:accountId/login': { surface: 'pages', step: 'password' },
  'POST /oauth/:accountId/login/mfa': { surface: 'pages', step: 'second_step' },
  'POST /api/admin/session': { surface: 'console', step: 'password' },
  'POST /api/admin/session/second-step': { surface: 'console', step: 'second_step' },
};

const TOKEN_ROUTE = 'POST /oauth/:accountId/token';
/** Grant types a token request may name; anything else is counted as `other`, so labels stay few. */
const KNOWN_GRANTS: ReadonlySet<string> = new Set([...GRANT_TYPES, DEVICE_CODE_GRANT]);
const KNOWN_OAUTH_ERRORS: ReadonlySet<string> = new Set(OAUTH_ERROR_CODES);

export interface CentralMetrics {
  readonly registry: Registry;
  /** Adds the request hooks to the central app; call before its routes are registered. */
  instrument(app: FastifyInstance): void;
  /** Hears the audit writer's appends (storage/audit-meter.ts). */
  readonly audit: AuditMeter;
}

/**
 * The central service's Prometheus metrics: requests by route template and status with their
 * latency (admin API, OAuth endpoints, sign-in pages, console, Connect RPC), token requests by
 * grant type and error code, sign-in attempts by outcome, the audit writer's queue and commit
 * latency, the storage's cache hit counts and connection pool, and the process defaults. Route
 * templates, never concrete paths, and closed lists of grant types and error codes keep every
 * label set bounded, whatever clients send.
 */
export function centralMetrics(storageStats: () => StorageStats): CentralMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'keyhold_http_requests_total',
    help: 'Requests to the central service by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'keyhold_http_request_duration_seconds',
    help: 'Latency of requests to the central service by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const tokenRequests = new Counter({
    name: 'keyhold_oauth_token_requests_total',
    help: 'OAuth token endpoint requests by grant type and error code (`none` when a token was issued)',
    labelNames: ['grant_type', 'error'] as const,
    registers,
  });
  const signIns = new Counter({
    name: 'keyhold_sign_in_attempts_total',
    help: 'Sign-in attempts by surface (pages, console), step (password, second_step) and outcome (accepted, invalid, refused, throttled, error)',
    labelNames: ['surface', 'step', 'outcome'] as const,
    registers,
  });

  let auditPending = 0;
  new Gauge({
    name: 'keyhold_audit_writer_pending',
    help: 'Audit events of secret reads waiting for their commit (the audit writer queue)',
    registers,
    collect() {
      this.set(auditPending);
    },
  });
  const auditCommits = new Histogram({
    name: 'keyhold_audit_commit_duration_seconds',
    help: 'Time from an audit event of a secret read to its durable commit, by result (committed, failed)',
    labelNames: ['result'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });

  for (const field of ['hits', 'misses'] as const) {
    // The caches keep their own totals; each scrape grows the counter by what they grew since.
    const reported = new Map<string, number>();
    new Counter({
      name: `keyhold_cache_${field}_total`,
      help:
        field === 'hits'
          ? 'Lookups answered from an in-memory cache, by cache'
          : 'Lookups an in-memory cache sent to the database, by cache',
      labelNames: ['cache'] as const,
      registers,
      collect() {
        for (const [cache, stats] of Object.entries(storageStats().caches)) {
          this.inc({ cache }, Math.max(0, stats[field] - (reported.get(cache) ?? 0)));
          reported.set(cache, stats[field]);
        }
      },
    });
  }
  new Gauge({
    name: 'keyhold_cache_entries',
    help: 'Entries held by an in-memory cache, by cache',
    labelNames: ['cache'] as const,
    registers,
    collect() {
      for (const [cache, stats] of Object.entries(storageStats().caches)) this.set({ cache }, stats.entries);
    },
  });
  new Gauge({
    name: 'keyhold_database_pool_connections',
    help: 'PostgreSQL pool connections by state (max, open, idle) and callers waiting for one (waiting); absent on SQLite',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const pool = storageStats().pool;
      if (!pool) return;
      this.set({ state: 'max' }, pool.max);
      this.set({ state: 'open' }, pool.total);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });

  // Bound children by label values: a handful of combinations serve the whole life of a process,
  // and looking one up by a string key is cheaper than prom-client's label hashing per request.
  const requestCounters = new Map<string, Counter.Internal>();
  const requestTimers = new Map<string, Histogram.Internal<'method' | 'route'>>();
  /** The OAuth error a request was answered with, noted by the error hook for the response hook. */
  const oauthErrors = new WeakMap<object, string>();

  const record = (method: string, route: string, status: number, seconds: number): void => {
    const key = `${method} ${route}`;
    const statusKey = `${key} ${status}`;
    let counter = requestCounters.get(statusKey);
    if (!counter) {
      counter = requests.labels({ method, route, status: String(status) });
      requestCounters.set(statusKey, counter);
    }
    counter.inc();
    let timer = requestTimers.get(key);
    if (!timer) {
      timer = latency.labels({ method, route });
      requestTimers.set(key, timer);
    }
    timer.observe(seconds);
  };

  return {
    registry,
    instrument(app) {
      app.addHook('onError', (request, _reply, error, done) => {
        if (isOAuthError(error)) oauthErrors.set(request, error.code);
        done();
      });
      app.addHook('onResponse', (request, reply, done) => {
        // A URL no route matched is one label, whatever its path.
        const route = request.routeOptions.url ?? 'unmatched';
        const status = reply.statusCode;
        record(request.method, route, status, reply.elapsedTime / 1000);
        const key = `${request.method} ${route}`;
        if (key === TOKEN_ROUTE) {
          const asked = request.body instanceof URLSearchParams ? request.body.get('grant_type') : null;
          const grant = asked !== null && KNOWN_GRANTS.has(asked) ? asked : 'other';
          const noted = oauthErrors.get(request);
          const error =
            status < 400 ? 'none' : noted !== undefined && KNOWN_OAUTH_ERRORS.has(noted) ? noted : 'other';
          tokenRequests.inc({ grant_type: grant, error });
        }
        const signIn = SIGN_IN_ROUTES[key];
        if (signIn) signIns.inc({ ...signIn, outcome: signInOutcome(status) });
        done();
      });
    },
    audit: {
      started() {
        auditPending += 1;
      },
      settled(seconds, committed) {
        auditPending -= 1;
        auditCommits.observe({ result: committed ? 'committed' : 'failed' }, seconds);
      },
    },
  };
}

function signInOutcome(status: number): string {
  if (status < 400) return 'accepted';
  if (status === 400) return 'invalid';
  if (status === 401 || status === 403) return 'refused';
  if (status === 429) return 'throttled';
  return 'error';
}
