import Router from '@koa/router';
import type { Archive } from '../archive/archive.js';
import type { Config } from '../config/schema.js';
import { isValidUid } from '../dicom/uids.js';
import { deliveryStats } from '../export/delivery-stats.js';
import type { DestinationStore } from '../export/destination-store.js';
import { requireRole } from '../http/auth.js';
import type { AppContext, AppState } from '../http/context.js';
import { httpError } from '../http/errors.js';
import { nodeStatus } from '../http/status.js';
import { seriesOverview } from '../routing/series-overview.js';

const q = (ctx: AppContext, name: string): string | undefined => (typeof ctx.query[name] === 'string' && ctx.query[name] !== '' ? (ctx.query[name] as string) : undefined);

function limitOf(ctx: AppContext, max: number, dflt: number): number {
  const v = q(ctx, 'limit');
  if (v === undefined) return dflt;
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > max) throw httpError('bad_request', `limit must be a number from 1 to ${max}`);
  return Number(v);
}

export interface OverviewDeps {
  archive: Archive;
  destinations: DestinationStore;
  config: Config;
}

/**
 * Public /api/v1 read endpoints that the operator console needed and the areas did not have yet
 * (docs/console.md): recent series with their routing outcome and results, delivery statistics
 * per destination, and the node's status. Read-only: nothing here changes state.
 */
export function overviewRouter(deps: OverviewDeps): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  router.get('/series', requireRole('reader', 'admin'), async (ctx) => {
    const study = q(ctx, 'study');
    if (study && !isValidUid(study)) throw httpError('invalid_uid', 'study is not a valid DICOM UID');
    ctx.body = await seriesOverview(deps.archive, { limit: limitOf(ctx, 500, 50), study });
  });
  router.get('/deliveries/stats', requireRole('admin'), async (ctx) => {
    const names = (await deps.destinations.list()).map((d) => d.name);
    ctx.body = await deliveryStats(deps.archive.db, names, limitOf(ctx, 50, 5));
  });
  router.get('/status', requireRole('reader', 'admin'), async (ctx) => {
    ctx.body = await nodeStatus(deps.archive, deps.config.storage);
  });
  return router;
}
