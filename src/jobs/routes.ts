import Router from '@koa/router';
import type { AuditLog } from '../audit/audit-log.js';
import { auditActor } from '../audit/routes.js';
import type { Database } from '../db/data-source.js';
import { requireRole } from '../http/auth.js';
import type { AppContext, AppState } from '../http/context.js';
import { httpError } from '../http/errors.js';
import { getJob, jobCounts, JOB_STATES, listJobs, type JobState } from './job-list.js';
import type { JobQueue } from './queue.js';

const q = (ctx: AppContext, name: string): string | undefined => (typeof ctx.query[name] === 'string' && ctx.query[name] !== '' ? (ctx.query[name] as string) : undefined);

/** /api/v1/jobs (admin): list, inspect, retry, cancel. */
export function jobsRouter(db: Database, queue: JobQueue, audit: AuditLog): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1/jobs' });
  const admin = requireRole('admin');
  const found = async (ctx: AppContext) => {
    const job = await getJob(db, String(ctx.params.id));
    if (!job) throw httpError('not_found', `no job ${String(ctx.params.id).slice(0, 64)}`);
    return job;
  };

  router.get('/', admin, async (ctx) => {
    const state = q(ctx, 'state');
    if (state && !JOB_STATES.includes(state as JobState)) throw httpError('bad_request', `state must be one of ${JOB_STATES.join(', ')}`);
    ctx.body = await listJobs(db, { type: q(ctx, 'type'), state: state as JobState | undefined, limit: Number(q(ctx, 'limit') ?? 100), offset: Number(q(ctx, 'offset') ?? 0) });
  });
  router.get('/summary', admin, async (ctx) => {
    ctx.body = await jobCounts(db);
  });
  router.get('/:id', admin, async (ctx) => {
    ctx.body = await found(ctx);
  });
  router.post('/:id/retry', admin, async (ctx) => {
    const job = await found(ctx);
    if (job.state !== 'dead-letter') throw httpError('conflict', `only a dead-letter job can be retried (this one is ${job.state})`);
    await queue.retry(job.type, job.id);
    await audit.record({ actor: auditActor(ctx), action: 'job.retry', target: `job:${job.id}`, detail: { type: job.type, reason: job.reason } });
    ctx.state.log.info({ jobId: job.id, actor: ctx.state.principal.name }, 'job retried by an admin');
    ctx.body = await found(ctx);
  });
  router.post('/:id/cancel', admin, async (ctx) => {
    const job = await found(ctx);
    if (!['created', 'retry', 'active'].includes(job.state)) throw httpError('conflict', `a ${job.state} job cannot be cancelled`);
    await queue.cancel(job.type, job.id);
    await audit.record({ actor: auditActor(ctx), action: 'job.cancel', target: `job:${job.id}`, detail: { type: job.type, state: job.state } });
    ctx.state.log.info({ jobId: job.id, actor: ctx.state.principal.name }, 'job cancelled by an admin');
    ctx.body = await found(ctx);
  });
  return router;
}
