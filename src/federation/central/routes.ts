import Router from '@koa/router';
import type { KeyObject } from 'node:crypto';
import type { ModelRegistry } from '../../inference/model-registry.js';
import type { AppContext } from '../../http/context.js';
import { httpError } from '../../http/errors.js';
import { requireRole } from '../../http/auth.js';
import { readJsonBody } from '../../http/json-body.js';
import { DELTA_MEDIA_TYPE } from '../delta.js';
import type { CentralState } from './central-auth.js';
import { SiteError, SiteExistsError, type CentralStore } from './central-store.js';
import { generationFile, listModels, modelInfo, parseGeneration, uploadView } from './central-views.js';
import { receiveDelta, UploadRefused } from './receive-delta.js';

export interface CentralRouteDeps {
  /** Registers a site and returns its token (central-app's addSite). */
  addSite?: (siteId: string, publicKeyPem: string) => Promise<string>;
  store: CentralStore;
  registry: ModelRegistry;
  key: KeyObject;
  publicKeyPem: string;
  uploadsDir: string;
  maxDeltaBytes: number;
  /** Called after a delta is queued (the merge scheduler may start a round at once). */
  onQueued?: (modelId: string) => void;
}

/** Reads a raw body up to `max` bytes (413 above, before reading it when Content-Length says so). */
export async function readRawBody(ctx: AppContext, max: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || NaN);
  if (declared > max) throw httpError('payload_too_large', `the delta is ${declared} bytes; this server accepts at most ${max}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > max) throw httpError('payload_too_large', `the delta exceeds ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function queueDelta(deps: CentralRouteDeps, state: CentralState, modelId: string, file: Buffer) {
  if (!state.site) throw httpError('forbidden', 'only a registered site (role node) uploads deltas');
  try {
    const { upload, created } = await receiveDelta(deps, state.site, modelId, file);
    if (created) deps.onQueued?.(modelId);
    return { uploadId: upload.uploadId, status: upload.status, created };
  } catch (e) {
    if (e instanceof UploadRefused) throw httpError(e.code, e.message);
    throw e;
  }
}

/** /federation/v1 (docs/federation.md "Protocol"). Handlers are thin: views and receiveDelta do the work. */
export function centralRouter(deps: CentralRouteDeps): Router<CentralState> {
  const { store, registry, key } = deps;
  const r = new Router<CentralState>({ prefix: '/federation/v1' });
  const reader = requireRole('node', 'admin');

  r.get('/public-key', (ctx) => {
    ctx.body = { algorithm: 'ed25519', publicKeyPem: deps.publicKeyPem };
  });
  r.get('/models', reader, async (ctx) => {
    ctx.body = await listModels(registry);
  });
  r.get('/models/:id', reader, async (ctx) => {
    ctx.body = await modelInfo(registry, store, ctx.params.id!);
  });
  r.get('/models/:id/generations/:gen/model.onnx', reader, async (ctx) => {
    const f = await generationFile(registry, store, key, ctx.params.id!, parseGeneration(ctx.params.gen));
    ctx.set('X-Dafne-Sha256', f.sha256);
    ctx.set('X-Dafne-Signature', f.signature);
    ctx.set('X-Dafne-Generation', String(f.card.generation));
    ctx.type = 'application/octet-stream';
    ctx.body = f.onnx;
  });
  r.get('/models/:id/generations/:gen/model.json', reader, async (ctx) => {
    const f = await generationFile(registry, store, key, ctx.params.id!, parseGeneration(ctx.params.gen));
    ctx.set('X-Dafne-Sha256', f.sha256);
    ctx.body = f.card;
  });
  r.post('/models/:id/deltas', requireRole('node'), async (ctx) => {
    if (!ctx.is(DELTA_MEDIA_TYPE, 'application/octet-stream')) throw httpError('unsupported_media_type', `send the delta file as ${DELTA_MEDIA_TYPE}`);
    const file = await readRawBody(ctx as unknown as AppContext, deps.maxDeltaBytes);
    const { uploadId, status, created } = await queueDelta(deps, ctx.state, ctx.params.id!, file);
    ctx.status = 202;
    ctx.set('Location', `/federation/v1/uploads/${uploadId}`);
    ctx.body = { uploadId, status, ...(created ? {} : { duplicate: true }) };
  });
  r.get('/uploads/:uploadId', reader, async (ctx) => {
    const u = await store.upload(ctx.params.uploadId!);
    // Another site's upload answers 404 like a missing one: its existence is not this site's business.
    if (!u || (ctx.state.site && u.siteId !== ctx.state.site.siteId)) throw httpError('not_found', `no upload ${ctx.params.uploadId} for this site`);
    ctx.body = uploadView(u);
  });

  // Operators (role admin) manage sites over HTTP too: with the embedded database the CLI cannot
  // run beside the server, and a consortium should not have to stop it to admit a hospital.
  const admin = requireRole('admin');
  r.get('/sites', admin, async (ctx) => {
    // Each site with what it contributed: uploads by outcome, slices merged, generations it is in.
    const contributions = new Map((await store.contributions()).map((c) => [c.siteId, c]));
    ctx.body = {
      sites: (await store.sites()).map((x) => {
        const c = contributions.get(x.siteId);
        return {
          siteId: x.siteId, createdAt: x.createdAt.toISOString(), revokedAt: x.revokedAt?.toISOString() ?? null,
          excludedAt: x.excludedAt?.toISOString() ?? null, excludedReason: x.excludedReason,
          contribution: { uploads: c?.uploads ?? {}, trainingSlicesMerged: c?.trainingSlices ?? 0, generations: c?.generations ?? [], lastUploadAt: c?.lastUploadAt?.toISOString() ?? null },
        };
      }),
    };
  });
  // Exclusion (issue 20): the site's deltas are rejected at the merge and its reports are not waited
  // for, but it keeps its token (it may still pull); unlike revocation it can be undone.
  r.post('/sites/:siteId/exclude', admin, async (ctx) => {
    const b = (await readJsonBody(ctx as unknown as AppContext).catch(() => null)) as { reason?: unknown } | null;
    const reason = typeof b?.reason === 'string' ? b.reason.slice(0, 500) : null;
    if (!(await store.setExcluded(ctx.params.siteId!, true, reason))) throw httpError('not_found', `no site "${ctx.params.siteId}"`);
    ctx.body = { siteId: ctx.params.siteId, excluded: true, reason };
  });
  r.post('/sites/:siteId/include', admin, async (ctx) => {
    if (!(await store.setExcluded(ctx.params.siteId!, false))) throw httpError('not_found', `no site "${ctx.params.siteId}"`);
    ctx.body = { siteId: ctx.params.siteId, excluded: false };
  });
  r.post('/sites', admin, async (ctx) => {
    const b = (await readJsonBody(ctx as unknown as AppContext)) as { siteId?: unknown; publicKeyPem?: unknown } | null;
    if (!b || typeof b.siteId !== 'string' || typeof b.publicKeyPem !== 'string') throw httpError('bad_request', 'send { siteId, publicKeyPem }');
    if (!deps.addSite) throw httpError('not_found', 'site registration is not available here');
    try {
      const token = await deps.addSite(b.siteId, b.publicKeyPem);
      ctx.status = 201;
      ctx.body = { siteId: b.siteId, token };
    } catch (e) {
      if (e instanceof SiteExistsError) throw httpError('conflict', e.message);
      if (e instanceof SiteError) throw httpError('bad_request', e.message);
      throw e;
    }
  });
  r.post('/sites/:siteId/revoke', admin, async (ctx) => {
    if (!(await store.revokeSite(ctx.params.siteId!))) throw httpError('not_found', `no site "${ctx.params.siteId}"`);
    ctx.body = { siteId: ctx.params.siteId, revoked: true };
  });
  return r;
}
