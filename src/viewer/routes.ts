import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { AppContext, AppState } from '../http/context.js';
import { httpError } from '../http/errors.js';
import { appConfigJs, VIEWER_BASE } from './app-config.js';
import { DEFAULT_OHIF_DIST, OhifDist, OHIF_VERSION, VIEWER_EXT_DIR, type Splice } from './ohif-dist.js';
import { reviewPageHtml } from './review-page.js';

/** Paths served without a token: static viewer code and the sign-in page hold no patient data. */
export function isPublicViewerPath(p: string): boolean {
  return p === '/viewer' || p.startsWith('/viewer/') || p.startsWith('/viewer-ext/') || p === '/review' || p === '/review/';
}

// One failing import with a wrong type leaves OHIF blank (notes/ohif-runtime.md): explicit types.
const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.webmanifest': 'application/manifest+json',
};
export const mimeOf = (file: string): string => MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

/** `rel` inside `root`, or undefined for anything that climbs out or is odd. */
function safeJoin(root: string, rel: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const full = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  return full === root || full.startsWith(root + path.sep) ? full : undefined;
}

async function sendFile(ctx: AppContext, file: string, cache: string): Promise<boolean> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) return false;
  ctx.set('Content-Type', mimeOf(file));
  ctx.set('Cache-Control', cache);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.length = st.size;
  ctx.body = createReadStream(file);
  return true;
}

/** A file with one rewritten span, streamed from disk (ohif-dist.ts says why not from memory). */
function sendSplice(ctx: AppContext, name: string, s: Splice): void {
  ctx.set('Content-Type', mimeOf(name));
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.length = s.size - s.remove + s.insert.length;
  ctx.body = Readable.from(
    (async function* () {
      if (s.at > 0) yield* createReadStream(s.file, { start: 0, end: s.at - 1 });
      yield s.insert;
      if (s.at + s.remove < s.size) yield* createReadStream(s.file, { start: s.at + s.remove, end: s.size - 1 });
    })(),
    { objectMode: false },
  );
}

function sendBuffer(ctx: AppContext, name: string, body: Buffer | string, cache = 'no-cache'): void {
  ctx.set('Content-Type', mimeOf(name));
  ctx.set('Cache-Control', cache);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = body;
}

export interface ViewerDeps {
  log: Logger;
  /** Directory of the prebuilt viewer (default vendor/ohif/<version>/dist; env DAFNE_OHIF_DIST). */
  ohifDir?: string;
  /** Directory of the built extension (default dist/viewer-ext). */
  extensionDir?: string;
}

/**
 * /viewer/ (the prebuilt OHIF viewer, rebased, with our app-config.js and SPA fallback to
 * index.html), /viewer-ext/ (our extension and mode, ES modules) and /review (worklist page).
 */
export function viewerRouter(deps: ViewerDeps): Router<AppState> {
  const router = new Router<AppState>();
  const ohifDir = path.resolve(deps.ohifDir ?? process.env.DAFNE_OHIF_DIST ?? DEFAULT_OHIF_DIST);
  const extDir = path.resolve(deps.extensionDir ?? VIEWER_EXT_DIR);
  let dist: OhifDist | undefined;
  let unavailable: string | undefined;
  try {
    dist = new OhifDist(ohifDir, VIEWER_BASE);
  } catch (err) {
    // The node still serves DICOMweb and the API; /viewer/ answers 503 with the reason.
    unavailable = (err as Error).message;
    deps.log.warn({ reason: unavailable }, 'the OHIF viewer is unavailable');
  }
  const config = appConfigJs();

  router.get('/viewer', (ctx) => ctx.redirect(VIEWER_BASE));
  router.get('/viewer/app-config.js', (ctx) => sendBuffer(ctx, 'app-config.js', config));
  router.get(['/viewer/', '/viewer/*rest'], async (ctx) => {
    if (!dist) throw httpError('not_ready', `the viewer is not available: ${unavailable}`);
    // path-to-regexp 8 gives a wildcard as its segments.
    const raw = (ctx.params as Record<string, unknown>).rest;
    const rel = Array.isArray(raw) ? raw.join('/') : String(raw ?? '');
    if (rel === '' || rel === 'index.html') return sendBuffer(ctx, 'index.html', dist.indexHtml());
    const file = safeJoin(dist.dir, rel);
    const patched = file ? await dist.patched(rel) : undefined;
    if (patched) return Buffer.isBuffer(patched) ? sendBuffer(ctx, rel, patched) : sendSplice(ctx, rel, patched);
    if (file && rel && (await sendFile(ctx, file, /\.[0-9a-f]{16}\.(js|css|wasm)$|[0-9a-f]{16}\.wasm$/.test(rel) ? 'public, max-age=31536000, immutable' : 'no-cache'))) return;
    // A file-like path that does not exist is a 404, never index.html (a script served as HTML
    // breaks the viewer with a MIME error that hides the real cause).
    if (/\.[a-z0-9]+$/i.test(rel)) throw httpError('not_found', 'no such viewer file');
    sendBuffer(ctx, 'index.html', dist.indexHtml());
  });
  router.get('/viewer-ext/:file', async (ctx) => {
    const name = String(ctx.params.file);
    const file = /^[\w.-]+\.(js|map|css)$/.test(name) ? safeJoin(extDir, name) : undefined;
    if (!file || !(await sendFile(ctx, file, 'no-cache'))) throw httpError('not_found', `no viewer extension file ${name} (run "npm run build")`);
  });
  router.get(['/review', '/review/'], (ctx) => sendBuffer(ctx, 'review.html', reviewPageHtml()));
  router.get('/viewer-version', (ctx) => {
    ctx.body = { ohif: OHIF_VERSION, available: dist !== undefined, reason: unavailable };
  });
  return router;
}
