import Router from '@koa/router';
import type { AppState } from '../http/context.js';
import { requireRole } from '../http/auth.js';
import { httpError } from '../http/errors.js';
import type { Database } from '../db/data-source.js';
import { resultMeasurements } from './measurement-queries.js';

/**
 * `GET /api/v1/results/{id}/measurements` (reader, admin): the per-segment numbers of a result
 * (volume, signal mean / SD, fat fraction) and its patient's earlier results of the same model
 * (docs/console.md). Nothing of it is logged.
 */
export function measurementsRouter(db: Database): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  router.get('/results/:id/measurements', requireRole('reader', 'admin'), async (ctx) => {
    const id = String(ctx.params.id);
    if (!/^\d{1,18}$/.test(id)) throw httpError('bad_request', 'the result id is a number');
    const m = await resultMeasurements(db, id);
    if (!m) throw httpError('not_found', `no measurement report for AI result ${id}`);
    ctx.body = m;
  });
  return router;
}
