import test from 'ava';
import { BackprojectPool } from '../../src/inference/backproject-pool.js';
import { labelsToSource } from '../../src/inference/backproject.js';
import { parseModelCard } from '../../src/inference/model-card.js';
import { validateModelPackage } from '../../src/inference/model-package.js';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { tinyUNet } from '../../src/inference/onnx/test-models.js';
import { segmentVolume } from '../../src/inference/pipeline.js';
import { axisMap, centringOffset } from '../../src/inference/resample.js';
import { LEG_LABELS } from '../../src/phantom/leg-labels.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { mulberry32 } from '../../src/random.js';

/**
 * The low-priority back-projection thread (backproject-pool.ts) must give the same labels as the
 * pipeline's own thread, whoever ends up mapping each slice: the thread, or the caller taking back
 * what a starved thread has not started.
 */
const muscles = LEG_LABELS.filter((l) => l.value <= 6);
const card = parseModelCard({
  schema: 'dafne-model-card/1', id: 'pool-test', name: 'Pool test U-Net', generation: 0, parentHash: null,
  input: { kind: '2d-slices', size: [64, 64], pixelSpacing: [2, 2], normalization: { method: 'zscore', scope: 'volume' }, batchSize: 3 },
  labels: muscles.map((l) => ({ value: l.value, name: l.name, category: l.category, type: l.type, color: l.color })),
  training: { origin: 'built-in' },
});
// Untrained: speckled labels, so every path of the back-projection runs.
const pkg = validateModelPackage(writeOnnx(tinyUNet({ classes: muscles.length + 1, base: 4, depth: 2, seed: 3, batchNorm: 'random' })), card);

test('pipeline: the same labels with the back-projection thread as without it', async (t) => {
  const { volume } = legPhantom({ seed: 5, rows: 100, columns: 120, slices: 11, pixelSpacing: [0.9, 0.9], sliceSpacing: 4 });
  const runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 1 });
  t.true(runner.hasLabels);
  const pool = new BackprojectPool();
  try {
    const alone = await segmentVolume(volume, pkg, runner, { backproject: null });
    await segmentVolume(volume, pkg, runner, { backproject: pool }); // the thread starts
    const pooled = await segmentVolume(volume, pkg, runner, { backproject: pool });
    t.deepEqual(pooled.labels.data, alone.labels.data);
    t.true(new Set(alone.labels.data).size > 2, 'several labels in the result');
    t.deepEqual(alone.timings.resampleBackOffloaded, { ms: 0, slices: 0 });
    // 11 slices in batches of 3: the first three batches may go to the thread (the last never does),
    // and every slice the thread did not map was mapped by the caller.
    t.true(pooled.timings.resampleBackOffloaded.slices <= 9);
    t.log(`thread mapped ${pooled.timings.resampleBackOffloaded.slices} of 11 slices`);
  } finally {
    await runner.close();
    await pool.close();
  }
});

function batch(seed: number, n: number, channels: number, plane: number): { logits: Float32Array; labels: Uint8Array } {
  const rand = mulberry32(seed);
  const logits = Float32Array.from({ length: n * channels * plane }, () => rand() * 4 - 2);
  const labels = new Uint8Array(n * plane);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < plane; p++) {
      let best = 0;
      for (let c = 1; c < channels; c++) if (logits[(b * channels + c) * plane + p]! > logits[(b * channels + best) * plane + p]!) best = c;
      labels[b * plane + p] = best;
    }
  }
  return { logits, labels };
}

test('job: slices the thread has not started are taken back by the caller, with the same result', async (t) => {
  const [H, W, R, C, channels, n] = [20, 24, 37, 45, 5, 3];
  const plane = H * W;
  const rows = axisMap(H, 1, R, 0.55, centringOffset(R, 0.55, H, 1), false);
  const cols = axisMap(W, 1, C, 0.55, centringOffset(C, 0.55, W, 1), false);
  const batches = [batch(1, n, channels, plane), batch(2, n, channels, plane)];
  const want = new Uint8Array(2 * n * R * C);
  batches.forEach((x, k) => {
    for (let b = 0; b < n; b++) labelsToSource(x.labels.subarray(b * plane, (b + 1) * plane), x.logits, b * channels * plane, plane, W, rows, cols, want, (k * n + b) * R * C);
  });

  for (const startFirst of [false, true]) {
    const pool = new BackprojectPool();
    try {
      // Started: the thread is up and takes the batches; not started: finish() runs before the new
      // thread has even loaded, so the caller takes every slice back.
      if (startFirst) {
        const warm = pool.begin(new SharedArrayBuffer(R * C), rows, cols, W, plane, channels, R * C, n)!;
        t.true(warm.tryOffload(batches[0]!.logits, batches[0]!.labels, 1, 0));
        await warm.finish();
      }
      const out = new SharedArrayBuffer(want.length);
      const job = pool.begin(out, rows, cols, W, plane, channels, R * C, n)!;
      t.true(job.tryOffload(batches[0]!.logits, batches[0]!.labels, n, 0));
      t.true(job.tryOffload(batches[1]!.logits, batches[1]!.labels, n, n));
      t.false(job.tryOffload(batches[1]!.logits, batches[1]!.labels, n, n), 'both slots busy: the caller maps the batch itself');
      // Give the running thread its batches (however loaded the machine), then finish.
      for (const until = Date.now() + 30_000; startFirst && pool.pending > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
      const f = await job.finish();
      t.is(f.mapped + f.takenBack, 2 * n);
      if (!startFirst) t.is(f.takenBack, 2 * n, 'a thread that has not started yet gets nothing');
      else t.true(f.mapped > 0, 'a running thread maps what it is given');
      t.deepEqual(new Uint8Array(out), want);
    } finally {
      await pool.close();
    }
  }
});
