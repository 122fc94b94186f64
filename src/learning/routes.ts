import Router from '@koa/router';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { requireRole } from '../http/auth.js';
import type { AppContext, AppState } from '../http/context.js';
import { httpError } from '../http/errors.js';
import { readJsonBody } from '../http/json-body.js';
import { ModelRegistryError, type ModelRegistry } from '../inference/model-registry.js';
import { correctionRates } from './corrections.js';
import { LearningBusyError } from './learning-lock.js';
import type { LearningService } from './learning-service.js';
import { generationViews, originKind } from './model-state.js';

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const PromoteBody = z.object({ generation: z.number().int().min(0) }).strict();
const RunBody = z.object({ modelId: z.string().regex(MODEL_ID).optional() }).strict();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw httpError('bad_request', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

function mapError(err: unknown): never {
  if (err instanceof ModelRegistryError) throw httpError(err.code === 'not-found' ? 'not_found' : 'conflict', err.message);
  if (err instanceof LearningBusyError) throw httpError('conflict', err.message);
  throw err;
}

/**
 * Models and learning API (contract in docs/learning.md "HTTP API"): models with their policy,
 * generations with state / scores / gate, promote and rollback (audit-logged), per-structure
 * correction rates, learning runs and "run now".
 */
export function learningRouter(d: { models: ModelRegistry; learning: LearningService; audit: AuditLog }): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  const reader = requireRole('reader', 'admin');
  const admin = requireRole('admin');
  const modelId = async (ctx: AppContext): Promise<string> => {
    const id = String(ctx.params.id);
    if (!MODEL_ID.test(id)) throw httpError('bad_request', 'not a model id');
    if (!(await d.models.list()).some((m) => m.id === id)) throw httpError('not_found', `no model "${id}"`);
    return id;
  };
  const generation = async (id: string, n: number) => (await generationViews(d.learning.db, d.models, id, d.learning.policy(id))).find((g) => g.generation === n)!;

  router.get('/models', reader, async (ctx) => {
    const models = await d.models.list();
    ctx.body = {
      models: models.map((m) => ({
        id: m.id,
        name: m.name,
        policy: d.learning.policy(m.id),
        active: m.active ? { generation: m.active.generation, sha256: m.active.sha256, origin: originKind(m.active.origin), createdAt: m.active.createdAt.toISOString() } : null,
      })),
    };
  });
  router.get('/models/:id/generations', reader, async (ctx) => {
    const id = await modelId(ctx);
    ctx.body = { generations: await generationViews(d.learning.db, d.models, id, d.learning.policy(id)) };
  });
  router.post('/models/:id/promote', admin, async (ctx) => {
    const id = await modelId(ctx);
    const body = parse(PromoteBody, await readJsonBody(ctx));
    const actor = ctx.state.principal.name;
    const g = await d.models.promote(id, body.generation, actor).catch(mapError);
    await d.audit.record({ actor, action: 'model.promote', target: `model:${id}`, detail: { generation: g.generation, sha256: g.sha256 } });
    ctx.body = await generation(id, g.generation);
  });
  router.post('/models/:id/rollback', admin, async (ctx) => {
    const id = await modelId(ctx);
    const actor = ctx.state.principal.name;
    const g = await d.models.rollback(id, actor).catch(mapError);
    await d.audit.record({ actor, action: 'model.rollback', target: `model:${id}`, detail: { generation: g.generation, sha256: g.sha256 } });
    ctx.body = await generation(id, g.generation);
  });
  router.get('/models/:id/corrections', reader, async (ctx) => {
    const id = await modelId(ctx);
    const active = await d.models.active(id);
    ctx.body = { labels: await correctionRates(d.learning.db, id, active.card.labels.map((l) => l.name)) };
  });
  router.get('/learning/runs', admin, async (ctx) => {
    const model = typeof ctx.query.model === 'string' && ctx.query.model !== '' ? ctx.query.model : undefined;
    if (model && !MODEL_ID.test(model)) throw httpError('bad_request', 'not a model id');
    ctx.body = { runs: await d.learning.runs.list({ modelId: model, limit: Number(ctx.query.limit ?? 100) || 100 }) };
  });
  router.get('/learning/runs/:runId', admin, async (ctx) => {
    const run = await d.learning.runs.get(String(ctx.params.runId));
    if (!run) throw httpError('not_found', `no learning run ${String(ctx.params.runId).slice(0, 32)}`);
    ctx.body = run;
  });
  router.post('/learning/runs', admin, async (ctx) => {
    // The body is optional: no body = every model.
    const body = parse(RunBody, ctx.get('content-type') ? await readJsonBody(ctx) : {});
    const actor = ctx.state.principal.name;
    const started = await d.learning.start({ modelId: body.modelId, trigger: 'api', actor }).catch(mapError);
    await d.audit.record({ actor, action: 'learning.run', target: `model:${body.modelId ?? '*'}`, detail: { runId: started.runId } });
    ctx.status = 202;
    ctx.body = { id: started.runId };
  });
  return router;
}
