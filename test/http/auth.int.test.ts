import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { buildNode, type Node } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { hashToken } from '../../src/http/auth.js';
import { minimalInstance } from '../helpers/dicom-fixtures.js';
import { REPO_ROOT } from '../helpers/node-process.js';
import { stowParts } from '../helpers/stow-client.js';

const run = promisify(execFile);
const TOKENS = { pacs: 'pacs-secret-token', reader: 'reader-secret-token', node: 'site-secret-token' };
let node: Node;
let server: Server;
let url: string;
let dir: string;

test.before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'auth-'));
  const config = validateConfig({
    dataDir: dir,
    log: { level: 'silent' },
    auth: { tokens: Object.entries(TOKENS).map(([role, token]) => ({ name: `${role}-client`, sha256: hashToken(token), roles: [role] })) },
  });
  node = await buildNode(config);
  server = node.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

test.after.always(async () => {
  server?.close();
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

test('without a token: 401 with WWW-Authenticate; with a wrong one: 401', async (t) => {
  const r1 = await fetch(`${url}/dicomweb/studies`);
  t.is(r1.status, 401);
  t.is(r1.headers.get('www-authenticate'), 'Bearer realm="dafne-node"');
  const body = (await r1.json()) as { error: string; requestId: string };
  t.is(body.error, 'unauthorized');
  t.truthy(body.requestId);
  t.is((await fetch(`${url}/dicomweb/studies`, { headers: bearer('nope') })).status, 401);
});

test('health probes answer without a token', async (t) => {
  t.is((await fetch(`${url}/healthz`)).status, 200);
  t.is((await fetch(`${url}/readyz`)).status, 200);
});

test('the pacs role stores; the node role (a federation site) may not touch DICOM', async (t) => {
  const r = await stowParts(url, [minimalInstance().bytes], { headers: bearer(TOKENS.pacs) });
  t.is(r.status, 200);
  const denied = await stowParts(url, [minimalInstance().bytes], { headers: bearer(TOKENS.node) });
  t.is(denied.status, 403);
});

test('serve refuses a non-loopback address without tokens', async (t) => {
  const err = await run(process.execPath, [`${REPO_ROOT}/bin/dafne-node.js`, 'serve'], { env: { ...process.env, HOST: '0.0.0.0', PORT: '0', DAFNE_DATA_DIR: dir + '-x', DAFNE_CONFIG: `${REPO_ROOT}/config/default.yaml` } }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  t.truthy(err);
  t.is(err!.code, 78);
  t.regex(err!.stderr, /refusing to listen on 0\.0\.0\.0 without auth\.tokens/);
});

test('an invalid configuration stops start-up with the key (exit 78)', async (t) => {
  const err = await run(process.execPath, [`${REPO_ROOT}/bin/dafne-node.js`, 'serve'], { env: { ...process.env, PORT: '99999' } }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  t.is(err?.code, 78);
  t.regex(err!.stderr, /config: server\.port/);
});
