import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { bytes } from './exchange.js';
import type { ConnectRoutes } from './routes.js';

export interface ConnectMetrics {
  /** Counts one answered request under its route template (never a concrete id). */
  record(method: string, route: string, status: number, seconds: number): void;
}

/**
 * Prometheus metrics of one Connect server at `/metrics`: requests by method, route template and
 * status (templates keep the label set bounded), their latency, and the process defaults (memory,
 * event loop lag) that show a long-running server's health.
 */
export function connectMetrics(routes: ConnectRoutes): ConnectMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'keyhold_connect_requests_total',
    help: 'Connect API requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'keyhold_connect_request_duration_seconds',
    help: 'Connect API request latency',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // Bound children, kept by the few method/route/status combinations a server ever sees, spare
  // building a label object per request. prom-client still validates and hashes the labels on
  // every update (~1-2% of the serving thread's profile under load; tallying here and rendering
  // at scrape time would save that, not measurable in throughput so far).
  const counters = new Map<string, Counter.Internal>();
  const timers = new Map<string, Histogram.Internal<'route'>>();

  routes.get('/metrics', async () =>
    bytes(Buffer.from(await registry.metrics()), { 'content-type': registry.contentType }),
  );
  return {
    record(method, route, status, seconds) {
      const key = `${method} ${route} ${status}`;
      let counter = counters.get(key);
      if (!counter) {
        counter = requests.labels({ method, route, status: String(status) });
        counters.set(key, counter);
      }
      counter.inc();
      let timer = timers.get(route);
      if (!timer) {
        timer = latency.labels({ route });
        timers.set(route, timer);
      }
      timer.observe(seconds);
    },
  };
}
