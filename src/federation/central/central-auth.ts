import { timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import type { TokenConfig } from '../../config/schema.js';
import { hashToken } from '../../http/auth.js';
import type { AppState } from '../../http/context.js';
import { httpError } from '../../http/errors.js';
import type { CentralStore, Site } from './central-store.js';

/** The central role's principal: an operator (config auth.tokens) or a registered site (role `node`). */
export interface CentralState extends AppState {
  site?: Site;
}

/**
 * Who is calling: a site token (stored as SHA-256 in federation_site; role `node`) or an operator
 * token from the config (e.g. `admin`). A revoked site gets 403 with a message saying so, not 401, so
 * its operator knows the token is known but withdrawn. No open mode: sites must be identified to sign
 * and to read their own uploads. `resolve` is also used by the Dafne-compatible endpoints
 * (api_key in the body).
 */
export function centralAuth(store: CentralStore, tokens: readonly TokenConfig[], opts: { isPublic: (path: string) => boolean }): Middleware<CentralState> {
  return async (ctx, next) => {
    if (opts.isPublic(ctx.path)) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
    if (!match) {
      ctx.set('WWW-Authenticate', 'Bearer realm="dafne-central"');
      throw httpError('unauthorized', 'a bearer token is required (Authorization: Bearer <token>)');
    }
    await resolvePrincipal(ctx.state, store, tokens, match[1]!);
    return next();
  };
}

export async function resolvePrincipal(state: CentralState, store: CentralStore, tokens: readonly TokenConfig[], token: string): Promise<void> {
  const digest = hashToken(token);
  const buf = Buffer.from(digest, 'hex');
  const operator = tokens.find((t) => timingSafeEqual(Buffer.from(t.sha256, 'hex'), buf));
  if (operator) {
    state.principal = { name: operator.name, roles: operator.roles, anonymous: false };
    return;
  }
  const site = await store.siteByTokenHash(digest);
  if (!site) throw httpError('unauthorized', 'the token is not valid');
  if (site.revokedAt) throw httpError('forbidden', `site "${site.siteId}" was revoked on ${site.revokedAt.toISOString().slice(0, 10)}; ask the central operator for a new registration`);
  state.principal = { name: site.siteId, roles: ['node'], anonymous: false };
  state.site = site;
}
