import Router from '@koa/router';
import { requireRole } from '../http/auth.js';
import type { AppContext, AppState } from '../http/context.js';
import { httpError } from '../http/errors.js';
import type { AuditLog } from './audit-log.js';

const q = (ctx: AppContext, name: string): string | undefined => (typeof ctx.query[name] === 'string' && ctx.query[name] !== '' ? (ctx.query[name] as string) : undefined);

/** Who did it, for audit entries: the token's configured name (`local` on a node without tokens). */
export const auditActor = (ctx: AppContext): string => ctx.state.principal.name;

/** GET /api/v1/audit (admin): the node-wide audit trail, newest first, with filters. */
export function auditRouter(audit: AuditLog): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  router.get('/audit', requireRole('admin'), async (ctx) => {
    const since = q(ctx, 'since');
    if (since && Number.isNaN(Date.parse(since))) throw httpError('bad_request', 'since must be an ISO 8601 time');
    const before = q(ctx, 'before');
    if (before && !/^\d{1,18}$/.test(before)) throw httpError('bad_request', 'before must be an audit entry id');
    const limit = q(ctx, 'limit');
    if (limit && (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 5000)) throw httpError('bad_request', 'limit must be a number from 1 to 5000');
    const entries = await audit.list({ actor: q(ctx, 'actor'), action: q(ctx, 'action'), target: q(ctx, 'target'), since: since && new Date(since).toISOString(), before, limit: limit ? Number(limit) : undefined });
    ctx.body = { entries };
  });
  return router;
}
