import type { Middleware } from 'koa';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppState } from './context.js';

/** Prometheus metrics of one node; a registry per app so tests can run several in a process. */
export class Metrics {
  readonly registry = new Registry();
  readonly storedInstances = new Counter({ name: 'dafne_stow_instances_total', help: 'Instances received over STOW-RS, by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly storedBytes = new Counter({ name: 'dafne_stow_bytes_total', help: 'Bytes of instances stored over STOW-RS', registers: [this.registry] });
  readonly stowSeconds = new Histogram({ name: 'dafne_stow_request_seconds', help: 'STOW-RS request duration', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [this.registry] });
  readonly httpSeconds = new Histogram({ name: 'dafne_http_request_seconds', help: 'HTTP request duration by route and status', labelNames: ['method', 'route', 'status'] as const, buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'dafne_' });
  }

  middleware(): Middleware<AppState> {
    return async (ctx, next) => {
      const end = this.httpSeconds.startTimer();
      try {
        await next();
      } finally {
        end({ method: ctx.method, route: (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched', status: String(ctx.status) });
      }
    };
  }
}
