import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type { AppState } from '../http/context.js';
import { httpError } from '../http/errors.js';
import { mimeOf } from '../viewer/routes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), import.meta.url.includes('/dist/src/') ? '../../..' : '../..');
/** Where `npm run build` (console/build.mjs) writes the console's page, script and styles. */
export const CONSOLE_DIST = path.join(ROOT, 'dist', 'console');
export const CONSOLE_BASE = '/console/';

/**
 * The console's static files need no token: a browser navigation carries none, and they hold no
 * data. Every /api/v1 call the page makes carries the admin's (or reader's) bearer token.
 */
export function isPublicConsolePath(p: string): boolean {
  return p === '/console' || p.startsWith(CONSOLE_BASE);
}

/**
 * /console/: the operator console (docs/console.md), a single page with hash routes (#/rules,
 * #/jobs, …), so the server only serves these few files. Files are read per request: a rebuild
 * shows up without a restart, and the page is small.
 */
export function consoleRouter(dir = CONSOLE_DIST): Router<AppState> {
  const router = new Router<AppState>();
  router.get(['/console', '/console/', '/console/:file'], async (ctx) => {
    // The router treats a trailing slash as optional: only the bare path redirects.
    if (ctx.path === '/console') return ctx.redirect(CONSOLE_BASE);
    const name = ctx.params.file === undefined ? 'index.html' : String(ctx.params.file);
    if (!/^[\w-]+(\.[\w-]+)*\.(html|js|css|map|svg)$/.test(name)) throw httpError('not_found', 'no such console file');
    const body = await readFile(path.join(dir, name)).catch(() => undefined);
    if (!body) throw httpError(name === 'index.html' ? 'not_ready' : 'not_found', name === 'index.html' ? 'the console is not built: run "npm run build"' : `no console file ${name}`);
    ctx.set('Content-Type', mimeOf(name));
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    // The page loads only its own script and styles and talks only to this origin.
    if (name === 'index.html') ctx.set('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    ctx.body = body;
  });
  return router;
}
