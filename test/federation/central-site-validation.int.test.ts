import test from 'ava';
import path from 'node:path';
import { loadOrCreateSiteKey } from '../../src/federation/signing.js';
import { phantomSet } from '../../src/learning/phantom-data.js';
import { CENTRAL_TEST_CONFIG, startCentral, type Harness } from './central-harness.js';
import { federationConfig, openSite, type TestSite } from './client-site.js';
import { along, degrade, demoCardJson, demoOnnx } from './demo-fixtures.js';
import { sha256 } from './fixtures.js';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';

/**
 * Site validation end to end (docs/federation.md "Site validation"): an in-process central server with
 * central.siteValidation on and REAL node federation clients with held-out phantom sets. A merged
 * window becomes a proposal; each site's upload loop downloads the proposed candidates, scores them on
 * its own held-out set and reports; the central server publishes only what no site loses more than ε on.
 */
const CARD = demoCardJson();
const root = degrade(demoOnnx(), 0.3, 11);
const better = along(root, demoOnnx(), 0.5); // half way back to the trained weights: better everywhere
const worse = along(root, demoOnnx(), -0.4); // away from them: worse everywhere
const heldOut = (first: number) => phantomSet(CARD, { seeds: [first, first + 1], contrasts: ['T1'], slices: 4 });

async function consortium(t: { teardown: (f: () => Promise<void>) => void }, central: Record<string, unknown> = {}) {
  const h: Harness = await startCentral({ central: { ...CENTRAL_TEST_CONFIG.central, siteValidation: { enabled: true, waitSeconds: 3600 }, ...central } });
  t.teardown(() => h.close());
  await h.addRoot(root);
  const publicKeyPem = h.central.publicKeyPem;
  const sites: TestSite[] = [];
  for (const [name, first] of [['site-a', 9101], ['site-b', 9201]] as const) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fed-sv-'));
    // The site's key exists before the operator registers it (as `central site add --public-key`).
    const token = await h.central.addSite(name, loadOrCreateSiteKey(path.join(dir, 'federation')).publicKeyPem);
    const set = heldOut(first);
    const site = await openSite(federationConfig({ centralUrl: h.url, siteId: name, token, centralPublicKeyPem: publicKeyPem }), { dir, root: { onnx: root, card: CARD }, localSets: async () => ({ heldOut: set }) });
    t.teardown(() => site.close());
    sites.push(site);
  }
  const upload = async (s: TestSite, candidate: Buffer) => {
    await s.client.federateCandidate('leg-demo', candidate, sha256(root), { trainingSlices: 20, trainingSeries: 2, localGate: { heldOut: 0.8, benchmark: null, corrections: 0.85 } });
    await s.client.queue.drain();
  };
  const status = async (s: TestSite) => {
    await s.client.queue.refreshOutcomes();
    return (await s.client.queue.list())[0]!;
  };
  return { h, sites, upload, status };
}

test.serial('a window every site validates as better is proposed, reported on and published at the full step', async (t) => {
  const { h, sites, upload, status } = await consortium(t);
  for (const s of sites) await upload(s, better);
  const [round] = await h.central.merges.tick(true);
  t.truthy(round!.proposed, 'a proposal, not a generation');
  t.is(round!.published, null);
  t.is((await status(sites[0]!)).remoteStatus, 'validating');
  // Before the reports nothing is decided.
  t.deepEqual(await h.central.merges.tick(), []);
  t.is((await h.central.registry.active('leg-demo')).card.generation, 0);
  t.is(await sites[0]!.client.validator.validateAll(), 1);
  await h.central.merges.idle();
  await h.central.merges.tick();
  await h.central.merges.idle();
  t.is((await h.central.registry.active('leg-demo')).card.generation, 0, 'one report of two: still waiting');
  t.is(await sites[1]!.client.validator.validateAll(), 1);
  t.is(await sites[1]!.client.validator.validateAll(), 0, 'a site reports a proposal once');
  await h.central.merges.idle();
  await h.central.merges.tick();
  await h.central.merges.idle();
  t.is((await h.central.registry.active('leg-demo')).card.generation, 1);
  const row = await status(sites[1]!);
  t.is(row.remoteStatus, 'accepted');
  t.is(row.remoteGeneration, 1);
  t.regex(row.remoteReason!, /^site validation by site-a, site-b: full step: worst site-\w heldOut 0\.\d{4} → 0\.\d{4} \(\+0\.\d{4}\); within ε 0\.005 at every reporting site: published as generation 1$/);
  const facts = (await h.central.store.generationFacts('leg-demo')).get(1)!;
  const reports = (facts.validation as { siteReports: { reports: Record<string, { heldOut: { slices: number; root: number; steps: number[] } }> } }).siteReports.reports;
  t.deepEqual(Object.keys(reports), ['site-a', 'site-b']);
  t.is(reports['site-a']!.heldOut.steps.length, 3, 'one score per configured server step');
  t.true(reports['site-a']!.heldOut.steps[0]! > reports['site-a']!.heldOut.root);
});

test.serial('what the central pre-check lets through, the sites refuse: a worse window is rejected with the losing site in the reason', async (t) => {
  // screenEpsilon 0.9: the central pre-check passes anything, so only the sites' reports stand between the window and publication.
  const { h, sites, upload, status } = await consortium(t, { screenEpsilon: 0.9 });
  for (const s of sites) await upload(s, worse);
  const [round] = await h.central.merges.tick(true);
  t.truthy(round!.proposed);
  for (const s of sites) await s.client.validator.validateAll();
  await h.central.merges.idle();
  await h.central.merges.tick();
  await h.central.merges.idle();
  t.is((await h.central.registry.active('leg-demo')).card.generation, 0, 'the root did not move');
  const row = await status(sites[0]!);
  t.is(row.remoteStatus, 'rejected');
  t.regex(row.remoteReason!, /^central gate: site validation by site-a, site-b: full step: worst site-\w heldOut .*loses more than ε 0\.005; server step 0\.5: .*; server step 0\.25: .*loses more than ε 0\.005; against generation 0 nothing was published$/);
});

test.serial('an excluded site: its delta is rejected at the merge and the proposal does not wait for its report', async (t) => {
  const { h, sites, upload, status } = await consortium(t);
  t.true(await h.central.store.setExcluded('site-b', true, 'audit pending'));
  for (const s of sites) await upload(s, better);
  const [round] = await h.central.merges.tick(true);
  t.is(round!.rejected.length, 1);
  const b = await status(sites[1]!);
  t.is(b.remoteStatus, 'rejected');
  t.is(b.remoteReason, 'site "site-b" is excluded from merges by the central operator (audit pending); the delta was not merged');
  t.is(await sites[0]!.client.validator.validateAll(), 1);
  await h.central.merges.idle();
  await h.central.merges.tick();
  await h.central.merges.idle();
  t.is((await h.central.registry.active('leg-demo')).card.generation, 1, 'published on site-a\'s report alone');
  t.deepEqual((await h.central.store.generationFacts('leg-demo')).get(1)!.contributors, ['site-a']);
  const contributions = await h.central.store.contributions();
  t.deepEqual(contributions.map((c) => [c.siteId, c.uploads, c.generations]), [['site-a', { accepted: 1 }, [1]], ['site-b', { rejected: 1 }, []]]);
});

test.serial('no report within waitSeconds: the proposal is rejected and says so', async (t) => {
  const { h, sites, upload, status } = await consortium(t, { siteValidation: { enabled: true, waitSeconds: 60 } });
  await upload(sites[0]!, better);
  const [round] = await h.central.merges.tick(true);
  t.truthy(round!.proposed);
  await h.central.merges.tick(false, Date.now() + 61_000);
  const row = await status(sites[0]!);
  t.is(row.remoteStatus, 'rejected');
  t.is(row.remoteReason, 'central gate: no site reported a validation of the proposal; no report from site-a, site-b within 60 s; against generation 0 nothing was published');
});
