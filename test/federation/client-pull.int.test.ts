import { readFileSync } from 'node:fs';
import test from 'ava';
import { generateKeyPair, sign } from '../../src/federation/signing.js';
import { createPrivateKey } from 'node:crypto';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { segmentSeries } from '../../src/inference/segment-series.js';
import { DEMO_PACKAGE_DIR } from '../../src/learning/ensure-demo.js';
import { phantomSet } from '../../src/learning/phantom-data.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries } from '../../src/phantom/write-series.js';
import { perturbed, sha256 } from './fixtures.js';
import { FakeCentral } from './client-fake-central.js';
import { federationConfig, openSite } from './client-site.js';

const ROOT = readFileSync(`${DEMO_PACKAGE_DIR}/model.onnx`);
const CARD = JSON.parse(readFileSync(`${DEMO_PACKAGE_DIR}/model.json`, 'utf8'));
// The site's own held-out slices (T1 phantoms it never trained on) for the gate on pulled generations.
const HELD_OUT = phantomSet(CARD, { seeds: [9101, 9102], contrasts: ['T1'], slices: 5 });
const localSets = async () => ({ heldOut: HELD_OUT });

async function setup() {
  const central = new FakeCentral('leg-demo');
  await central.start();
  const site = await openSite(federationConfig({ centralUrl: central.url, siteId: 'site-p', token: central.token, centralPublicKeyPem: central.keys.publicKeyPem }), { localSets });
  central.publish(ROOT, null);
  return { central, site, done: async () => (await site.close(), await central.stop()) };
}

test.serial('pulls the missing chain of signed generations, gates the latest, registers with lineage and origin central-merge, and swaps while an inference is in flight', async (t) => {
  const { central, site, done } = await setup();
  try {
    // Two tiny moves (within ε on the held-out set): generation 1 and its child 2.
    const g1 = central.publish(perturbed(ROOT, 11, 1e-4), sha256(ROOT));
    const g2 = central.publish(perturbed(g1.onnx, 12, 1e-4), g1.sha256);
    // A local fine-tune already took local generation 1: central numbers stay in the notes.
    const before = await site.registry.active('leg-demo');

    // An inference in flight: it took the active package at its start (as the inference job does)
    // and its first network run waits until the swap has happened.
    const ph = legPhantom({ seed: 5, contrast: 'T1', slices: 4, rows: 128, columns: 128, pixelSpacing: [1, 1] });
    const series = await writeLegSeries(ph.volume, { date: new Date(0) });
    const runner = await OnnxRunner.create(before.onnx, { intraOpNumThreads: 1 });
    let swap: Promise<unknown> | undefined;
    // Whichever entry point the pipeline uses (logits, or labels from an arg-max head), its first
    // call waits for the swap.
    const withLabels = runner.runWithLabels.bind(runner);
    const withDims = runner.runWithDims.bind(runner);
    const swapFirst = async () => {
      swap ??= site.client.pullAll();
      await swap;
    };
    runner.runWithLabels = async (...a) => (await swapFirst(), withLabels(...a));
    runner.runWithDims = async (...a) => (await swapFirst(), withDims(...a));
    const seg = await segmentSeries(series.files, before, runner, { softwareVersion: 'test' });
    await runner.close();
    t.truthy(swap, 'the swap happened inside the inference');
    t.true(seg.seg.length > 0, 'the inference that started on the old generation finished');
    const [outcome] = (await swap) as Awaited<ReturnType<typeof site.client.pullAll>>;
    t.is(outcome!.outcome, 'installed', outcome!.reasons.join('; '));
    t.is(outcome!.centralGeneration, 2);
    t.truthy(outcome!.scores?.heldOut);

    const active = await site.registry.active('leg-demo');
    t.is(active.sha256, g2.sha256, 'the latest central generation is active');
    t.is(active.card.training.origin, 'central-merge');
    t.regex(active.card.training.notes!, /central generation 2/);
    t.deepEqual(active.card.labels, before.card.labels, 'labels come from the node\'s own card');
    const gens = await site.registry.generations('leg-demo');
    t.deepEqual(gens.map((g) => [g.generation, g.sha256, g.parentSha256, g.active]), [
      [0, sha256(ROOT), null, false],
      [1, g1.sha256, sha256(ROOT), false],
      [2, g2.sha256, g1.sha256, true],
    ]);
    // Nothing new: up to date, nothing downloaded again.
    const [again] = await site.client.pullAll();
    t.is(again!.outcome, 'up-to-date');

    // Rollback: the previous active generation (the root) is active again and a pull does not undo it.
    const back = await site.client.rollback('leg-demo', 'test');
    t.is(back.sha256, sha256(ROOT));
    const [after] = await site.client.pullAll();
    t.is(after!.outcome, 'up-to-date');
    t.regex(after!.reasons[0]!, /not active/);
    t.is((await site.registry.active('leg-demo')).sha256, sha256(ROOT));
  } finally {
    await done();
  }
});

test.serial('a generation with a foreign signature or tampered bytes is refused and nothing is registered', async (t) => {
  const { central, site, done } = await setup();
  try {
    const g1 = central.publish(perturbed(ROOT, 21, 1e-4), sha256(ROOT));
    g1.signature = sign(g1.onnx, createPrivateKey(generateKeyPair().privateKeyPem));
    let [o] = await site.client.pullAll();
    t.is(o!.outcome, 'refused');
    t.regex(o!.reasons[0]!, /signature does not verify/);

    g1.signature = undefined;
    g1.servedBytes = perturbed(g1.onnx, 22, 1e-4);
    [o] = await site.client.pullAll();
    t.is(o!.outcome, 'refused');
    t.regex(o!.reasons[0]!, /hash/);
    t.is((await site.registry.generations('leg-demo')).length, 1, 'only the root');

    await central.stop();
    [o] = await site.client.pullAll();
    t.is(o!.outcome, 'unreachable');
    const status = await site.client.status();
    t.is(status.lastPull[0]!.outcome, 'unreachable');
  } finally {
    await done();
  }
});

test.serial('the local gate rejects a generation that loses held-out Dice: registered inactive, the active model stays', async (t) => {
  const { central, site, done } = await setup();
  try {
    const bad = central.publish(perturbed(ROOT, 31, 0.5), sha256(ROOT));
    const [o] = await site.client.pullAll();
    t.is(o!.outcome, 'rejected', o!.reasons.join('; '));
    t.true(o!.scores!.heldOut!.candidate < o!.scores!.heldOut!.active - 0.005, `held-out ${o!.scores!.heldOut!.active.toFixed(3)} → ${o!.scores!.heldOut!.candidate.toFixed(3)}`);
    t.regex(o!.reasons.join(' '), /loses more than ε/);
    t.is((await site.registry.active('leg-demo')).sha256, sha256(ROOT));
    const g = (await site.registry.generations('leg-demo')).find((x) => x.sha256 === bad.sha256);
    t.false(g!.active);
  } finally {
    await done();
  }
});
