import Router from '@koa/router';
import type { AuditLog } from '../audit/audit-log.js';
import { auditActor } from '../audit/routes.js';
import type { Database } from '../db/data-source.js';
import { requireRole } from '../http/auth.js';
import type { AppContext, AppState } from '../http/context.js';
import { httpError } from '../http/errors.js';
import { readJsonBody } from '../http/json-body.js';
import { listDeliveries } from './deliveries.js';
import { DestinationError, redact, type DestinationStore } from './destination-store.js';
import { testDestination } from './deliver.js';
import type { JobQueue } from '../jobs/queue.js';
import { retryDeadLetters } from './retry-dead-letters.js';

const q = (ctx: AppContext, name: string): string | undefined => (typeof ctx.query[name] === 'string' && ctx.query[name] !== '' ? (ctx.query[name] as string) : undefined);

function mapErrors(err: unknown): never {
  if (err instanceof DestinationError) throw httpError(err.code === 'not-found' ? 'not_found' : 'bad_request', err.message);
  throw err;
}

/** /api/v1/destinations (admin) with the connectivity test, and /api/v1/deliveries. */
export function exportRouter(db: Database, destinations: DestinationStore, queue: JobQueue, audit: AuditLog, callingAeTitle: string, usedBy: (name: string) => Promise<string[]> = async () => []): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  const admin = requireRole('admin');

  router.get('/destinations', admin, async (ctx) => {
    ctx.body = (await destinations.list()).map(redact);
  });
  router.get('/destinations/:name', admin, async (ctx) => {
    ctx.body = redact(await destinations.get(String(ctx.params.name)).catch(mapErrors));
  });
  router.put('/destinations/:name', admin, async (ctx) => {
    const body = (await readJsonBody(ctx)) as Record<string, unknown>;
    const d = await destinations.put({ ...body, name: ctx.params.name }, `api:${ctx.state.principal.name}`, 'api').catch(mapErrors);
    // The audit detail is the redacted destination: never a password or token.
    await audit.record({ actor: auditActor(ctx), action: 'destination.put', target: `destination:${d.name}`, detail: redact(d) });
    ctx.body = redact(d);
  });
  router.delete('/destinations/:name', admin, async (ctx) => {
    // Rules may name only configured destinations (issue 17): deleting one a rule names would make
    // that rule refer to nothing (its deliveries dead-letter); the admin edits the rules first.
    const rules = await usedBy(String(ctx.params.name));
    if (rules.length) throw httpError('conflict', `destination "${ctx.params.name}" is used by rule${rules.length > 1 ? 's' : ''} ${rules.join(', ')}; remove it from ${rules.length > 1 ? 'them' : 'it'} first`);
    await destinations.remove(String(ctx.params.name)).catch(mapErrors);
    await audit.record({ actor: auditActor(ctx), action: 'destination.delete', target: `destination:${ctx.params.name}` });
    ctx.status = 204;
  });
  router.post('/destinations/:name/test', admin, async (ctx) => {
    const d = await destinations.get(String(ctx.params.name)).catch(mapErrors);
    // C-ECHO for a DIMSE destination, a QIDO-RS search for a DICOMweb one.
    ctx.body = await testDestination(d, callingAeTitle);
  });
  router.post('/destinations/:name/retry-dead-letters', admin, async (ctx) => {
    const d = await destinations.get(String(ctx.params.name)).catch(mapErrors);
    const r = await retryDeadLetters(db, queue, d.name);
    await audit.record({ actor: auditActor(ctx), action: 'destination.retry-dead-letters', target: `destination:${d.name}`, detail: { requeued: r.requeued } });
    ctx.state.log.info({ destination: d.name, requeued: r.requeued, actor: ctx.state.principal.name }, 'dead-letter deliveries retried by an admin');
    ctx.body = r;
  });
  router.get('/deliveries', admin, async (ctx) => {
    ctx.body = await listDeliveries(db, { status: q(ctx, 'status'), aiResultId: q(ctx, 'result'), destination: q(ctx, 'destination'), limit: Number(q(ctx, 'limit') ?? 100) });
  });
  return router;
}
