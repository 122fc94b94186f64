import Router from '@koa/router';
import { requireRole } from '../../http/auth.js';
import type { AppState } from '../../http/context.js';
import { httpError } from '../../http/errors.js';
import type { FederationClient } from './federation-client.js';

/** /api/v1/federation (admin): status (queue, last upload outcomes, last pull), pull now, rollback. */
export function federationRouter(client: FederationClient): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1/federation' });
  const admin = requireRole('admin');
  router.get('/status', admin, async (ctx) => {
    ctx.body = await client.status();
  });
  router.post('/pull', admin, async (ctx) => {
    if (!client.enabled) throw httpError('conflict', 'federation is not configured (federation.centralUrl and federation.siteId)');
    ctx.body = { pulls: await client.pullAll() };
  });
  router.post('/models/:id/rollback', admin, async (ctx) => {
    const id = String(ctx.params.id);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw httpError('bad_request', 'model id: lowercase letters, digits and dashes');
    const g = await client.rollback(id, ctx.state.principal.name).catch((err: Error & { code?: string }) => {
      throw httpError(err.code === 'not-found' ? 'not_found' : 'conflict', err.message);
    });
    ctx.state.log.info({ model: id, generation: g.generation, actor: ctx.state.principal.name }, 'federation: rolled back');
    ctx.body = g;
  });
  return router;
}
