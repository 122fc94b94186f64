import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { Archive } from '../archive/archive.js';
import type { StoreResult } from '../archive/ingest.js';
import type { Config } from '../config/schema.js';
import { requireRole } from '../http/auth.js';
import type { AppContext, AppState } from '../http/context.js';
import { httpError } from '../http/errors.js';
import type { Metrics } from '../http/metrics.js';
import { isValidUid } from '../dicom/uids.js';
import { qido, type QidoLevel } from './qido.js';
import { stow } from './stow.js';
import { retrieveBulkdata, retrieveFrames, retrieveInstances, retrieveMetadata, type WadoResult, type WadoScope } from './wado.js';

export interface DicomwebDeps {
  archive: Archive;
  config: Config;
  metrics: Metrics;
  /** Told after every STOW-RS request what was stored and by whom (routing: sender, stability). */
  onStored?: (results: StoreResult[], sender: string) => void;
}

/** The DICOMweb root as clients see it, for RetrieveURL and BulkDataURI values. */
export function wadoRoot(ctx: AppContext, config: Config): string {
  const base = config.server.publicUrl?.replace(/\/$/, '') ?? `${ctx.protocol}://${ctx.host}`;
  return `${base}/dicomweb`;
}

/** Rejects path UIDs that are not UIDs (PS3.5 §9.1) before they reach a query or a path. */
export function uidParam(ctx: AppContext, name: string): string | undefined {
  const v = (ctx.params as Record<string, string | undefined>)[name];
  if (v === undefined) return undefined;
  if (!isValidUid(v)) throw httpError('invalid_uid', `${name} in the URL is not a valid DICOM UID`);
  return v;
}

/** PS3.18 resources under /dicomweb: STOW-RS here; QIDO-RS and WADO-RS register theirs. */
export function dicomwebRouter(deps: DicomwebDeps): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/dicomweb' });
  const store = async (ctx: AppContext): Promise<void> => {
    const end = deps.metrics.stowSeconds.startTimer();
    const length = ctx.get('content-length');
    const res = await stow(
      deps.archive,
      {
        contentType: ctx.get('content-type'),
        contentLength: length ? Number(length) : undefined,
        body: ctx.req.iterator({ destroyOnReturn: false }),
        studyUid: uidParam(ctx, 'study'),
        wadoRoot: wadoRoot(ctx, deps.config),
      },
      deps.config.stow,
    ).catch((err) => {
      // An early answer (413, 415) while the client is still sending: close after replying.
      ctx.set('Connection', 'close');
      throw err;
    });
    end();
    for (const r of res.results) {
      deps.metrics.storedInstances.inc({ outcome: r.status === 'failed' ? 'failed' : r.alreadyStored ? 'duplicate' : 'stored' });
      if (r.status === 'stored' && !r.alreadyStored) deps.metrics.storedBytes.inc(r.size);
    }
    ctx.state.log.info({ stored: res.results.filter((r) => r.status === 'stored').length, failed: res.results.filter((r) => r.status === 'failed').length, aborted: res.aborted }, 'STOW-RS');
    deps.onStored?.(res.results, ctx.state.principal.name);
    ctx.status = res.status;
    ctx.type = 'application/dicom+json';
    ctx.body = res.body;
  };
  router.post('/studies', requireRole('pacs', 'reader', 'admin'), store);
  router.post('/studies/:study', requireRole('pacs', 'reader', 'admin'), store);

  const read = requireRole('pacs', 'reader', 'admin');
  const search = (level: QidoLevel) => async (ctx: AppContext) => {
    negotiateJson(ctx);
    const results = await qido(deps.archive, level, { studyUid: uidParam(ctx, 'study'), seriesUid: uidParam(ctx, 'series') }, new URLSearchParams(ctx.querystring), {
      ...deps.config.qido,
      wadoRoot: wadoRoot(ctx, deps.config),
    });
    // Empty matches answer 200 with [] (documented in docs/conformance.md).
    ctx.status = 200;
    ctx.type = 'application/dicom+json';
    ctx.body = results;
  };
  router.get('/studies', read, search('studies'));
  router.get('/series', read, search('series'));
  router.get('/instances', read, search('instances'));
  router.get('/studies/:study/series', read, search('series'));
  router.get('/studies/:study/instances', read, search('instances'));
  router.get('/studies/:study/series/:series/instances', read, search('instances'));

  const scopeOf = (ctx: AppContext): WadoScope => ({ studyUid: uidParam(ctx, 'study')!, seriesUid: uidParam(ctx, 'series'), sopUid: uidParam(ctx, 'instance') });
  const send = (ctx: AppContext, r: WadoResult): void => {
    ctx.status = r.status ?? 200;
    for (const [k, v] of Object.entries(r.headers ?? {})) ctx.set(k, v);
    ctx.set('Content-Type', r.contentType);
    ctx.body = Buffer.isBuffer(r.body) ? r.body : Readable.from(r.body);
  };
  const instances = async (ctx: AppContext) => send(ctx, await retrieveInstances(deps.archive, scopeOf(ctx), ctx.get('accept')));
  const metadata = async (ctx: AppContext) => {
    negotiateJson(ctx);
    const body = await retrieveMetadata(deps.archive, scopeOf(ctx), wadoRoot(ctx, deps.config));
    ctx.type = 'application/dicom+json';
    ctx.body = body;
  };
  router.get('/studies/:study', read, instances);
  router.get('/studies/:study/series/:series', read, instances);
  router.get('/studies/:study/series/:series/instances/:instance', read, instances);
  router.get('/studies/:study/metadata', read, metadata);
  router.get('/studies/:study/series/:series/metadata', read, metadata);
  router.get('/studies/:study/series/:series/instances/:instance/metadata', read, metadata);
  router.get('/studies/:study/series/:series/instances/:instance/frames/:frames', read, async (ctx) => {
    send(ctx, await retrieveFrames(deps.archive, scopeOf(ctx) as Required<WadoScope>, String(ctx.params.frames), ctx.get('accept')));
  });
  router.get('/studies/:study/series/:series/instances/:instance/bulkdata/:tagPath', read, async (ctx) => {
    send(ctx, await retrieveBulkdata(deps.archive, scopeOf(ctx) as Required<WadoScope>, String(ctx.params.tagPath), ctx.get('accept'), ctx.get('range') || undefined));
  });
  return router;
}

/** QIDO-RS and metadata answer in DICOM JSON only; an Accept that excludes it gets 406. */
function negotiateJson(ctx: AppContext): void {
  const accept = ctx.get('accept');
  if (!accept) return;
  if (!/application\/(dicom\+)?json|\*\/\*|application\/\*/i.test(accept)) {
    throw httpError('not_acceptable', 'this resource is available as application/dicom+json only (PS3.18 §8.7.3)');
  }
}
