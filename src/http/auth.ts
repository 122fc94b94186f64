import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Role, TokenConfig } from '../config/schema.js';
import type { AppState, Principal } from './context.js';
import { httpError } from './errors.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\./.test(host);
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * Bearer-token authentication (DESIGN §3). Tokens are configured as SHA-256 hashes with roles.
 * With no tokens configured the node is open, which `main` only allows on a loopback address.
 */
export function authenticate(tokens: readonly TokenConfig[], opts: { isPublic?: (path: string) => boolean } = {}): Middleware<AppState> {
  const table = tokens.map((t) => ({ ...t, digest: Buffer.from(t.sha256, 'hex') }));
  const open: Principal = { name: 'local', roles: ['pacs', 'reader', 'admin', 'node'], anonymous: true };
  return async (ctx, next) => {
    if (table.length === 0) {
      ctx.state.principal = open;
      return next();
    }
    const header = ctx.get('authorization');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    let principal: Principal | undefined;
    if (match) {
      const digest = Buffer.from(hashToken(match[1]!), 'hex');
      const hit = table.find((t) => timingSafeEqual(t.digest, digest));
      if (hit) principal = { name: hit.name, roles: hit.roles, anonymous: false };
    }
    if (!principal) {
      // Health probes stay open so orchestrators need no token; they reveal nothing.
      if (ctx.path === '/healthz' || ctx.path === '/readyz') return next();
      // Static viewer code and sign-in pages (opts.isPublic): a browser navigation carries no
      // bearer token; they hold no patient data, and what they fetch needs the token.
      if (!header && opts.isPublic?.(ctx.path)) return next();
      ctx.set('WWW-Authenticate', 'Bearer realm="dafne-node"');
      throw httpError('unauthorized', header ? 'the bearer token is not valid' : 'a bearer token is required (Authorization: Bearer <token>)');
    }
    ctx.state.principal = principal;
    return next();
  };
}

/** Route guard: the caller must hold at least one of `roles`. */
export function requireRole(...roles: Role[]): Middleware<AppState> {
  return async (ctx, next) => {
    const p = ctx.state.principal;
    if (!p || !roles.some((r) => p.roles.includes(r))) {
      throw httpError('forbidden', `this needs one of the roles: ${roles.join(', ')}`);
    }
    return next();
  };
}
