import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { CONSOLE_DIST } from '../../src/console/routes.js';
import { hashToken } from '../../src/http/auth.js';
import { startNode, type TestNode } from '../helpers/node.js';

/**
 * /console/ serves the built page without a token (a browser navigation has none; the files hold
 * no data) with a strict CSP, refuses anything but its own file names, and every /api/v1 call the
 * page makes still needs the token, with the role enforced by the node.
 */
const ADMIN = { name: 'adm', token: 'serving-admin-token-0123456789' };
const READER = { name: 'rdr', token: 'serving-reader-token-0123456789' };
let n: TestNode;

test.before(async () => {
  n = await startNode({ config: { auth: { tokens: [{ name: ADMIN.name, sha256: hashToken(ADMIN.token), roles: ['admin'] }, { name: READER.name, sha256: hashToken(READER.token), roles: ['reader'] }] } } });
});
test.after.always(async () => {
  await n?.close();
});

const get = (p: string, token?: string) => fetch(`${n.url}${p}`, { redirect: 'manual', headers: token ? { authorization: `Bearer ${token}` } : {} });

test('the page and its script are public, with a strict Content-Security-Policy', async (t) => {
  const root = await get('/console');
  t.is(root.status, 302);
  t.is(root.headers.get('location'), '/console/');
  const page = await get('/console/');
  t.is(page.status, 200, 'run "npm run build:console" before the tests (npm test builds)');
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  t.regex(page.headers.get('content-security-policy') ?? '', /default-src 'self'.*script-src 'self'/);
  t.regex(await page.text(), /<script type="module" src="console.js">/);
  const js = await get('/console/console.js');
  t.is(js.status, 200);
  t.regex(js.headers.get('content-type') ?? '', /^text\/javascript/);
  t.is((await get('/console/nope.js')).status, 404);
  t.is((await get('/console/..%2Fpackage.json')).status, 404);
  t.is((await get('/console/.env')).status, 404);
});

test('the data needs the token, and the node enforces the roles', async (t) => {
  t.is((await get('/api/v1/series')).status, 401);
  t.is((await get('/api/v1/series', READER.token)).status, 200);
  t.is((await get('/api/v1/status', READER.token)).status, 200);
  t.is((await get('/api/v1/rules', READER.token)).status, 403);
  t.is((await get('/api/v1/deliveries/stats', READER.token)).status, 403);
  t.is((await get('/api/v1/deliveries/stats', ADMIN.token)).status, 200);
  t.is((await get('/api/v1/series?limit=0', ADMIN.token)).status, 400);
  t.is((await get('/api/v1/series?study=not-a-uid', ADMIN.token)).status, 400);
});

test('a console that was not built answers 503 with how to build it', async (t) => {
  const { consoleRouter } = await import('../../src/console/routes.js');
  const Koa = (await import('koa')).default;
  const empty = mkdtempSync(path.join(os.tmpdir(), 'dafne-console-empty-'));
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      ctx.status = (err as { status: number }).status;
      ctx.body = (err as Error).message;
    }
  });
  app.use(consoleRouter(empty).routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/console/`);
    t.is(res.status, 503);
    t.regex(await res.text(), /npm run build/);
  } finally {
    server.close();
    rmSync(empty, { recursive: true, force: true });
  }
  t.true(CONSOLE_DIST.endsWith(path.join('dist', 'console')));
});
