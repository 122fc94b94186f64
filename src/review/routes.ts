import Router from '@koa/router';
import { z } from 'zod';
import { requireRole } from '../http/auth.js';
import type { AppContext, AppState } from '../http/context.js';
import { httpError } from '../http/errors.js';
import { readJsonBody } from '../http/json-body.js';
import { RESULT_OUTCOMES, RESULT_STATUSES, type ResultOutcome, type ResultStatus } from './results.js';
import { ReviewError, type ReviewService } from './reviews.js';
import { worklist } from './worklist.js';

const uid = z.string().regex(/^[0-9]+(\.[0-9]+)*$/).max(64);
const NewResult = z.object({
  studyInstanceUid: uid,
  sourceSeriesInstanceUid: uid,
  segSeriesInstanceUid: uid,
  segSopInstanceUid: uid,
  modelId: z.string().min(1).max(128),
  generation: z.number().int().min(0),
  delivery: z.enum(['immediate', 'after_review']).optional(),
  jobId: z.string().max(128).nullable().optional(),
});
const ReviewBody = z.discriminatedUnion('action', [
  z.object({ action: z.literal('accept') }),
  z.object({ action: z.literal('reject'), reason: z.string().trim().min(1, 'a rejection needs a reason').max(2000) }),
  z.object({ action: z.literal('correct'), correctedSopInstanceUid: uid }),
]);

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw httpError('bad_request', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

function mapErrors(err: unknown): never {
  if (err instanceof ReviewError) throw httpError(err.code, err.message);
  throw err;
}

const query = (ctx: AppContext, name: string): string | undefined => {
  const v = ctx.query[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** Review API (DESIGN §3: /api/v1/results, /api/v1/reviews), reader role; registering results is admin's. */
export function reviewRouter(reviews: ReviewService): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  const reader = requireRole('reader', 'admin');

  router.get('/me', reader, (ctx) => {
    const p = ctx.state.principal;
    ctx.body = { name: p.name, roles: p.roles, anonymous: p.anonymous };
  });
  router.get('/worklist', reader, async (ctx) => {
    ctx.body = await worklist(reviews.db);
  });
  router.get('/results', reader, async (ctx) => {
    const status = query(ctx, 'status');
    if (status && !RESULT_STATUSES.includes(status as ResultStatus)) throw httpError('bad_request', `status must be one of ${RESULT_STATUSES.join(', ')}`);
    const outcome = query(ctx, 'outcome');
    if (outcome && !RESULT_OUTCOMES.includes(outcome as ResultOutcome)) throw httpError('bad_request', `outcome must be one of ${RESULT_OUTCOMES.join(', ')}`);
    const study = query(ctx, 'study');
    if (study) parse(uid, study);
    ctx.body = await reviews.results.list({ studyInstanceUid: study, status: status as ResultStatus | undefined, outcome: outcome as ResultOutcome | undefined });
  });
  router.post('/results', requireRole('admin'), async (ctx) => {
    const body = parse(NewResult, await readJsonBody(ctx));
    ctx.status = 201;
    ctx.body = await reviews.register(body, ctx.state.principal.name).catch(mapErrors);
  });
  router.get('/results/:id', reader, async (ctx) => {
    const r = await reviews.results.get(String(ctx.params.id));
    if (!r) throw httpError('not_found', `no AI result ${ctx.params.id}`);
    ctx.body = { ...r, reviews: await reviews.list({ resultId: r.id }) };
  });
  router.post('/results/:id/review', reader, async (ctx) => {
    const body = parse(ReviewBody, await readJsonBody(ctx));
    ctx.status = 201;
    ctx.body = await reviews.review(String(ctx.params.id), ctx.state.principal.name, body).catch(mapErrors);
  });
  router.get('/reviews', reader, async (ctx) => {
    const study = query(ctx, 'study');
    if (study) parse(uid, study);
    const result = query(ctx, 'result');
    if (result && !/^\d{1,18}$/.test(result)) throw httpError('bad_request', 'result must be a result id');
    ctx.body = await reviews.list({ resultId: result, studyInstanceUid: study });
  });
  router.get('/reviews/audit', reader, async (ctx) => {
    const result = query(ctx, 'result');
    if (result && !/^\d{1,18}$/.test(result)) throw httpError('bad_request', 'result must be a result id');
    ctx.body = await reviews.audit.list({ resultId: result });
  });
  return router;
}
