import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { HttpError } from './errors.js';
import type { AppState } from './context.js';

/**
 * Gives each request an id and a child logger, and turns errors into `{ error, message,
 * requestId }`. Unknown errors become 500 with a generic message; details go to the log only.
 * Logs carry method, route pattern and status, never paths, query strings or bodies: they hold
 * UIDs and patient attributes (PHI stays out of logs).
 */
export function requestContext(log: Logger): Middleware<AppState> {
  return async (ctx, next) => {
    const requestId = (ctx.get('x-request-id').match(/^[\w.-]{1,64}$/) ?? [randomUUID()])[0]!;
    ctx.state.requestId = requestId;
    ctx.state.log = log.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.status = err.status;
        for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
        ctx.body = { error: err.code, message: err.message, ...err.details, requestId };
      } else {
        const status = (err as { status?: number; expose?: boolean }).status;
        if (status && status >= 400 && status < 500 && (err as { expose?: boolean }).expose) {
          ctx.status = status;
          ctx.body = { error: 'bad_request', message: (err as Error).message, requestId };
        } else {
          ctx.state.log.error({ err }, 'unhandled error');
          ctx.status = 500;
          ctx.body = { error: 'internal', message: 'internal error; see the node log for this request id', requestId };
        }
      }
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      ctx.state.log.info({ method: ctx.method, route: (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched', status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  };
}
