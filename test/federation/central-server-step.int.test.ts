import test from 'ava';
import type { ModelCard } from '../../src/inference/model-card.js';
import { getFloat32Initializer, readOnnx, setFloat32Initializer, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import type { Score, Scorer } from '../../src/federation/central/validation-set.js';
import { scaleUpdate } from '../../src/federation/central/server-step.js';
import { startCentral, type Harness } from './central-harness.js';
import { demoOnnx } from './demo-fixtures.js';

/**
 * The central server step (docs/federation.md "Central gate", server step): a window whose full merged
 * update fails the per-contrast gate is tried again at half the step, which must pass the SAME gate.
 * The scorer is a stand-in whose two "contrasts" depend linearly on one weight (head.weight[0]), so
 * each step's score is known exactly: moving it by t costs contrast 1 `cost`·t and gives contrast 2
 * 0.05·t.
 */
const W = 'head.weight';
const root = demoOnnx();
const w0 = getFloat32Initializer(readOnnx(root), W)[0]!;

function moved(by: number): Buffer {
  const m = readOnnx(root);
  const w = getFloat32Initializer(m, W);
  w[0] = w[0]! + by;
  setFloat32Initializer(m, W, w);
  return writeOnnx(m);
}

class LinearScorer implements Scorer {
  constructor(private readonly cost: number) {}
  describe(): Record<string, unknown> {
    return { kind: 'linear test scorer', cost: this.cost };
  }
  async score(_card: ModelCard, onnx: Uint8Array): Promise<Score> {
    const t = getFloat32Initializer(readOnnx(onnx), W)[0]! - w0;
    const perContrast = [0.8 - this.cost * t, 0.5 + 0.05 * t];
    return { mean: (perContrast[0]! + perContrast[1]!) / 2, perLabel: [], slices: 2, perContrast };
  }
}

async function oneWindow(t: { teardown: (f: () => Promise<void>) => void }, cost: number, central: Record<string, unknown> = {}) {
  const h: Harness = await startCentral({ central: { minUploads: 1000, maxWaitSeconds: 1e6, checkIntervalSeconds: 3600, siteValidation: { enabled: false }, serverSteps: [1, 0.5], ...central } }, { scorer: new LinearScorer(cost) });
  t.teardown(() => h.close());
  const root0 = await h.addRoot(root);
  const site = await h.site('site-a');
  // One delta: head.weight[0] + 1 (exact in float16).
  const r = await site.post('/federation/v1/models/leg-demo/deltas', site.delta(root, moved(1)));
  const uploadId = ((await r.json()) as { uploadId: string }).uploadId;
  const [round] = await h.central.merges.tick(true);
  const upload = (await (await site.get(`/federation/v1/uploads/${uploadId}`)).json()) as { status: string; reason: string; generation: number | null };
  const info = (await (await site.get('/federation/v1/models/leg-demo')).json()) as { latest: { generation: number; sha256: string } };
  const latest = readOnnx(Buffer.from(await (await site.get(`/federation/v1/models/leg-demo/generations/${info.latest.generation}/model.onnx`)).arrayBuffer()));
  return { round: round!, upload, info, root0, weight: getFloat32Initializer(latest, W)[0]! - w0 };
}

test('steps [1, 0.5]: the full update loses 0.008 on contrast 1 and is rejected; half of it loses 0.004 and is published', async (t) => {
  const { round, upload, weight } = await oneWindow(t, 0.008);
  t.is(round.published, 1);
  t.is(round.serverStep, 0.5);
  t.true(Math.abs(weight - 0.5) < 1e-6, `generation 1 = root + half the merged update (moved by ${weight})`);
  t.is(upload.status, 'accepted');
  t.regex(upload.reason, /loses 0\.0080 on contrast 1 of the validation set .*; at server step 0\.5: central validation Dice .* within ε 0\.005: published as generation 1/);
});

test('steps [1] (no retry): the same window is rejected and the root does not move', async (t) => {
  const { round, upload, info, root0, weight } = await oneWindow(t, 0.008, { serverSteps: [1] });
  t.is(round.published, null);
  t.is(upload.status, 'rejected');
  t.regex(upload.reason, /^central gate: merged candidate of 1 delta\(s\): central validation Dice .* loses 0\.0080 on contrast 1/);
  t.is(info.latest.generation, 0);
  t.is(info.latest.sha256, root0.sha256);
  t.is(weight, 0);
});

test('the half step is held to the same ε: when it too loses more, nothing is published and both tries are in the reason', async (t) => {
  const { round, upload, info } = await oneWindow(t, 0.02);
  t.is(round.published, null);
  t.is(upload.status, 'rejected');
  t.regex(upload.reason, /loses 0\.0200 on contrast 1 .*; at server step 0\.5: .* loses 0\.0100 on contrast 1/);
  t.is(info.latest.generation, 0);
});

test('a full update that passes is published as it is (no half step tried)', async (t) => {
  const { round, upload, weight } = await oneWindow(t, 0.004);
  t.is(round.published, 1);
  t.is(round.serverStep, 1);
  t.true(Math.abs(weight - 1) < 1e-6, `moved by ${weight}`);
  t.notRegex(upload.reason, /server step/);
});

test('scaleUpdate: additive parts × step, BatchNorm variance factors ^ step', (t) => {
  const u = { add: new Map([['w', Float32Array.from([2, -4])]]), scaleVar: new Map([['v', Float32Array.from([4, 0.25])]]) };
  const h = scaleUpdate(u, 0.5);
  t.deepEqual([...h.add.get('w')!], [1, -2]);
  t.deepEqual([...h.scaleVar.get('v')!], [2, 0.5]);
  t.is(scaleUpdate(u, 1), u);
  t.deepEqual([...u.add.get('w')!], [2, -4], 'the merged update itself is not changed');
});
