import Router from '@koa/router';
import type { AuditLog } from '../../audit/audit-log.js';
import { requireRole } from '../../http/auth.js';
import type { AppState } from '../../http/context.js';
import { httpError } from '../../http/errors.js';
import type { FederationClient } from './federation-client.js';

/** /api/v1/federation (admin): status (queue, last upload outcomes, last pull), approve / decline an outgoing delta, pull now, rollback. */
export function federationRouter(client: FederationClient, audit?: AuditLog): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1/federation' });
  const admin = requireRole('admin');
  router.get('/status', admin, async (ctx) => {
    ctx.body = await client.status();
  });
  router.post('/pull', admin, async (ctx) => {
    if (!client.enabled) throw httpError('conflict', 'federation is not configured (federation.centralUrl and federation.siteId)');
    ctx.body = { pulls: await client.pullAll() };
  });
  // Governance: a site admin approves (or declines) each outgoing delta before it leaves the site.
  for (const [verb, approve] of [['approve', true], ['decline', false]] as const) {
    router.post(`/uploads/:uploadId/${verb}`, admin, async (ctx) => {
      const row = await client.decideUpload(String(ctx.params.uploadId), approve, ctx.state.principal.name);
      if (!row) throw httpError('not_found', `no outgoing delta ${ctx.params.uploadId} awaiting approval`);
      ctx.state.log.info({ upload: row.id, actor: ctx.state.principal.name }, `federation: delta ${approve ? 'approved' : 'declined'}`);
      await audit?.record({ actor: ctx.state.principal.name, action: `federation.${verb}`, target: `federation-upload:${row.id}`, detail: { modelId: row.modelId, payloadSha256: row.payloadSha256 } });
      ctx.body = row;
    });
  }
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
