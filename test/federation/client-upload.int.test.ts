import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import { federationRouter } from '../../src/federation/client/routes.js';
import { hashToken, authenticate } from '../../src/http/auth.js';
import type { AppState } from '../../src/http/context.js';
import { requestContext } from '../../src/http/error-middleware.js';
import { DEMO_PACKAGE_DIR } from '../../src/learning/ensure-demo.js';
import { perturbed, sha256 } from './fixtures.js';
import { FakeCentral } from './client-fake-central.js';
import { federationConfig, openSite, quietLog } from './client-site.js';

const ROOT = readFileSync(`${DEMO_PACKAGE_DIR}/model.onnx`);
const INFO = { trainingSlices: 12, trainingSeries: 2, localGate: { heldOut: 0.8, benchmark: null, corrections: 0.7 } };

test.serial('a delta waits in the queue while the central server is down, survives a restart, is delivered once, and its outcome is read', async (t) => {
  const central = new FakeCentral('leg-demo');
  await central.start();
  await central.stop(); // the port is known, nothing listens: connection refused
  const cfg = federationConfig({ centralUrl: central.url, siteId: 'site-a', token: central.token });
  let site = await openSite(cfg);
  central.sitePublicKeys.set('site-a', site.client.publicKeyPem);
  central.publish(ROOT, null);
  try {
    const id = await site.client.federateCandidate('leg-demo', perturbed(ROOT, 7), sha256(ROOT), INFO);
    t.truthy(id);
    const pumped = Date.now();
    await site.client.pump();
    let [row] = await site.client.queue.list();
    t.is(row!.state, 'pending');
    t.true(row!.attempts >= 1);
    t.regex(row!.lastError ?? '', /unreachable/);
    // Later than the failed attempt (not than "now": under load the pump can outlast the backoff).
    t.true(new Date(row!.nextAttemptAt).getTime() > pumped, 'the next attempt is scheduled after the failed one (backoff)');
    t.is(row!.baseSha256, sha256(ROOT), 'the delta is relative to the generation the candidate was trained from');

    // Restart the node: the queue is in its database.
    await site.close();
    site = await openSite(cfg, { dir: site.dir });
    t.deepEqual(await site.client.queue.counts(), { pending: 1 });

    await central.start();
    // Not due yet: nothing is sent before the backoff expires. Asked at a time just before the
    // scheduled attempt, not "now": a restart on a loaded machine can outlast a short backoff.
    const due = new Date(row!.nextAttemptAt).getTime();
    t.deepEqual(await site.client.queue.drain(new Date(due - 1)), { sent: 0, failed: 0, retrying: 0 });
    t.deepEqual(await site.client.queue.drain(new Date(Date.now() + 3600_000)), { sent: 1, failed: 0, retrying: 0 });
    t.is(central.uploads.size, 1);
    [row] = await site.client.queue.list();
    t.is(row!.state, 'sent');
    t.is(row!.remoteStatus, 'queued');
    const upload = central.uploads.get(row!.uploadId!)!;
    t.truthy(upload, 'the queue keeps the central upload id');

    // Same candidate again → same row (idempotent), nothing resent.
    t.is(await site.client.federateCandidate('leg-demo', perturbed(ROOT, 7), sha256(ROOT), INFO), id);
    await site.client.pump();
    t.is(central.uploads.size, 1);

    // The central gate rejects; the site reads why (Dafne never told its clients).
    upload.status = 'rejected';
    upload.reason = 'central validation: 0.801 → 0.760 (−0.041 < −0.005)';
    t.is(await site.client.queue.refreshOutcomes(), 1);
    const status = await site.client.status();
    t.is(status.uploads[0]!.remoteStatus, 'rejected');
    t.is(status.uploads[0]!.remoteReason, upload.reason);
    t.deepEqual(status.queue, { 'sent:rejected': 1 });
  } finally {
    await site.close();
    await central.stop();
  }
});

test.serial('5xx is retried, a refusal (409 unknown base, 403 unknown site) is final and keeps the reason', async (t) => {
  const central = new FakeCentral('leg-demo');
  await central.start();
  const site = await openSite(federationConfig({ centralUrl: central.url, siteId: 'site-b', token: central.token }));
  try {
    const other = perturbed(ROOT, 99, 1e-2);
    central.publish(other, null); // the central server does not know this node's root
    central.sitePublicKeys.set('site-b', site.client.publicKeyPem);
    central.failWith = 503;
    await site.client.federateCandidate('leg-demo', perturbed(ROOT, 8), sha256(ROOT), INFO);
    await site.client.pump();
    let [row] = await site.client.queue.list();
    t.is(row!.state, 'pending', '503 is retryable');
    t.regex(row!.lastError!, /503/);
    central.failWith = null;
    await site.client.queue.drain(new Date(Date.now() + 3600_000));
    [row] = await site.client.queue.list();
    t.is(row!.state, 'failed');
    t.regex(row!.lastError!, /409 unknown base generation/);

    central.sitePublicKeys.delete('site-b');
    central.publish(ROOT, null);
    await site.client.federateCandidate('leg-demo', perturbed(ROOT, 9), sha256(ROOT), INFO);
    await site.client.pump();
    [row] = await site.client.queue.list();
    t.is(row!.state, 'failed');
    t.regex(row!.lastError!, /403/);
  } finally {
    await site.close();
    await central.stop();
  }
});

test.serial('GET /api/v1/federation/status is admin only and shows the queue and the last pull', async (t) => {
  const central = new FakeCentral('leg-demo');
  await central.start();
  const site = await openSite(federationConfig({ centralUrl: central.url, siteId: 'site-c', token: central.token, centralPublicKeyPem: central.keys.publicKeyPem }));
  const app = new Koa<AppState>();
  app.use(requestContext(quietLog));
  app.use(authenticate([
    { name: 'ops', sha256: hashToken('admin-secret'), roles: ['admin'] },
    { name: 'dr', sha256: hashToken('reader-secret'), roles: ['reader'] },
  ]));
  const r = federationRouter(site.client);
  app.use(r.routes());
  const server = http.createServer(app.callback());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/federation`;
  try {
    central.publish(ROOT, null);
    await site.client.pullAll();
    t.is((await fetch(`${base}/status`)).status, 401);
    t.is((await fetch(`${base}/status`, { headers: { authorization: 'Bearer reader-secret' } })).status, 403);
    const res = await fetch(`${base}/status`, { headers: { authorization: 'Bearer admin-secret' } });
    t.is(res.status, 200);
    const body = (await res.json()) as { enabled: boolean; siteId: string; publicKeyPem: string; lastPull: { modelId: string; outcome: string }[]; queue: object };
    t.true(body.enabled);
    t.is(body.siteId, 'site-c');
    t.is(body.publicKeyPem, site.client.publicKeyPem, 'the key the operator registers at the central server');
    t.deepEqual(body.queue, {});
    t.is(body.lastPull[0]!.modelId, 'leg-demo');
    t.is(body.lastPull[0]!.outcome, 'up-to-date', 'the central root is the node\'s own root');
  } finally {
    await new Promise<void>((res) => server.close(() => res()));
    await site.close();
    await central.stop();
  }
});
