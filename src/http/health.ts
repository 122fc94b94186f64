import Router from '@koa/router';
import type { Archive } from '../archive/archive.js';
import type { RulesFileStatus } from '../routing/routing-service.js';
import type { AppState } from './context.js';
import type { Metrics } from './metrics.js';

/** Liveness, readiness and Prometheus metrics. */
export function healthRouter(archive: Archive, metrics: Metrics, rulesFile: () => RulesFileStatus | undefined = () => undefined): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const checks: Record<string, string> = {};
    try {
      await archive.db.dataSource.query('SELECT 1');
      checks.database = 'ok';
    } catch {
      checks.database = 'unavailable';
    }
    const disk = await archive.disk().catch(() => undefined);
    checks.storage = disk === undefined ? 'unavailable' : disk.full ? 'above watermark (STOW-RS refused)' : 'ok';
    // A refused reload of the rules file is shown, loudly, but the node stays ready: it routes with
    // the rule set in force, and taking it out of service would stop the PACS's intake as well.
    const file = rulesFile();
    if (file) checks.rulesFile = file.ok ? 'ok' : `reload refused (rule set version ${file.version} stays in force): ${file.error}`;
    const ready = checks.database === 'ok' && checks.storage !== 'unavailable';
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks, freeBytes: disk?.freeBytes };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}
