import test from 'ava';
import { federationConfig, openSite } from './client-site.js';
import { degrade, demoOnnx } from './demo-fixtures.js';
import { sha256 } from './fixtures.js';

/**
 * Governance (docs/federation.md "Governance"): with federation.autoApprove false (the default) a
 * delta does not leave the site until a site admin approved it; a declined one never does. The
 * central URL points at a port nobody listens on: an approved delta then shows as a failed attempt,
 * one awaiting approval is never even tried.
 */
test.serial('a delta awaits approval, is not sent before it, and is sent (tried) after; a declined one never is', async (t) => {
  const site = await openSite(federationConfig({ centralUrl: 'http://127.0.0.1:9/', siteId: 'site-g', token: 'x', autoApprove: false }));
  t.teardown(() => site.close());
  const active = await site.registry.active('leg-demo');
  const info = { trainingSlices: 10, trainingSeries: 1, localGate: { heldOut: 0.8, benchmark: null, corrections: 0.85 } };
  const a = (await site.client.federateCandidate('leg-demo', degrade(demoOnnx(), 0.01, 3), sha256(active.onnx), info))!;
  const b = (await site.client.federateCandidate('leg-demo', degrade(demoOnnx(), 0.01, 4), sha256(active.onnx), info))!;
  await site.client.queue.drain(new Date(Date.now() + 3600_000));
  t.deepEqual(await site.client.queue.counts(), { 'awaiting-approval': 2 });
  t.true((await site.client.queue.list()).every((r) => r.attempts === 0), 'nothing was tried before approval');

  const approved = await site.client.decideUpload(a, true, 'admin-1');
  t.is(approved!.state, 'pending');
  t.is(approved!.approvedBy, 'admin-1');
  t.is(await site.client.decideUpload(a, true, 'admin-1'), null, 'approving twice: nothing awaits');
  const declined = await site.client.decideUpload(b, false, 'admin-2');
  t.is(declined!.state, 'declined');
  await site.client.queue.drain(new Date(Date.now() + 3600_000));
  const rows = new Map((await site.client.queue.list()).map((r) => [r.id, r]));
  t.true(rows.get(a)!.attempts >= 1, 'the approved delta was tried (the central server is down; approval also kicks the loop)');
  t.is(rows.get(b)!.attempts, 0, 'the declined one never was');
  t.is(rows.get(b)!.state, 'declined');
});

test.serial('federation.autoApprove: the delta is pending at once, approved by the setting', async (t) => {
  const site = await openSite(federationConfig({ centralUrl: 'http://127.0.0.1:9/', siteId: 'site-h', token: 'x', autoApprove: true }));
  t.teardown(() => site.close());
  const active = await site.registry.active('leg-demo');
  const id = (await site.client.federateCandidate('leg-demo', degrade(demoOnnx(), 0.01, 5), sha256(active.onnx), { trainingSlices: 10, trainingSeries: 1, localGate: { heldOut: 0.8, benchmark: null, corrections: 0.85 } }))!;
  const row = (await site.client.queue.list()).find((r) => r.id === id)!;
  t.is(row.state, 'pending');
  t.is(row.approvedBy, 'auto-approval (federation.autoApprove)');
});
