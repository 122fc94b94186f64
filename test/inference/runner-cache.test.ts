import test from 'ava';
import { sharedBackprojectPool } from '../../src/inference/backproject-pool.js';
import { parseModelCard } from '../../src/inference/model-card.js';
import { validateModelPackage } from '../../src/inference/model-package.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { tinyUNet } from '../../src/inference/onnx/test-models.js';
import type { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { segmentVolume } from '../../src/inference/pipeline.js';
import { RunnerCache } from '../../src/inference/runner-cache.js';
import { LEG_LABELS } from '../../src/phantom/leg-labels.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Idle memory (issue 19): the sessions a node warmed, and the back-projection thread the pipeline
 * started, go away after a quiet period and come back on the next series with the same result.
 * Real onnxruntime sessions and the real thread; the tests in this file share the process-wide
 * pool, so they run one after another.
 */
const muscles = LEG_LABELS.filter((l) => l.value <= 6);
const card = parseModelCard({
  schema: 'dafne-model-card/1', id: 'cache-test', name: 'Runner cache test U-Net', generation: 0, parentHash: null,
  input: { kind: '2d-slices', size: [64, 64], pixelSpacing: [2, 2], normalization: { method: 'zscore', scope: 'volume' }, batchSize: 3 },
  labels: muscles.map((l) => ({ value: l.value, name: l.name, category: l.category, type: l.type, color: l.color })),
  training: { origin: 'built-in' },
});
const pkg = validateModelPackage(writeOnnx(tinyUNet({ classes: muscles.length + 1, base: 4, depth: 2, seed: 3, batchNorm: 'random' })), card);
// 11 slices in batches of 3: the pipeline hands batches to the back-projection thread.
const { volume } = legPhantom({ seed: 5, rows: 100, columns: 120, slices: 11, pixelSpacing: [0.9, 0.9], sliceSpacing: 4 });

test.serial('warm while used, released after the idle period (session and thread), made again with the same labels', async (t) => {
  const cache = new RunnerCache({ threads: 1, idleMs: 300 });
  try {
    let first: OnnxRunner | undefined;
    const a = await cache.use(pkg, (r) => ((first = r), segmentVolume(volume, pkg, r)));
    t.true(sharedBackprojectPool().threadRunning, 'the pipeline started the back-projection thread');
    const again = await cache.use(pkg, async (r) => r);
    t.is(again, first!, 'one session per model while series keep coming');
    t.deepEqual(cache.warm, [pkg.sha256]);

    await waitFor(() => cache.warm.length === 0 && !sharedBackprojectPool().threadRunning, 10_000, 'the idle release');
    await t.throwsAsync(first!.runWithDims(new Float32Array(64 * 64), 1, 64, 64), { message: /closed/ }, 'the released session is closed');

    const b = await cache.use(pkg, (r) => (t.not(r, first, 'a new session after the release'), segmentVolume(volume, pkg, r)));
    t.deepEqual(b.labels.data, a.labels.data);
    t.true(sharedBackprojectPool().threadRunning, 'a new thread after the release');
  } finally {
    await cache.close();
  }
});

test.serial('nothing is released while a series is running, however long it takes', async (t) => {
  const cache = new RunnerCache({ threads: 1, idleMs: 50 });
  try {
    let release!: () => void;
    const running = cache.use(pkg, (r) => new Promise<OnnxRunner>((resolve) => (release = () => resolve(r))));
    await waitFor(() => cache.warm.length === 1 && release, 10_000, 'the use to start');
    // Ten idle periods pass while the use is open (a deadline on a condition that must stay false).
    const until = Date.now() + 500;
    while (Date.now() < until) {
      t.deepEqual(cache.warm, [pkg.sha256]);
      await new Promise((r) => setTimeout(r, 25));
    }
    release();
    const runner = await running;
    t.is((await runner.runWithDims(new Float32Array(64 * 64), 1, 64, 64)).data.length, (muscles.length + 1) * 64 * 64, 'still usable at the end of the use');
    await waitFor(() => cache.warm.length === 0, 10_000, 'the release once the use ended');
  } finally {
    await cache.close();
  }
});

test.serial('the thread is not ended under a pipeline call that is using it', async (t) => {
  const pool = sharedBackprojectPool();
  const cache = new RunnerCache({ threads: 1, idleMs: 60_000 });
  try {
    const result = await cache.use(pkg, async (r) => {
      const run = segmentVolume(volume, pkg, r);
      // Released from elsewhere (another cache going idle) while this call has the thread.
      await waitFor(() => pool.threadRunning, 10_000, 'the thread');
      await pool.releaseIdleThread();
      t.true(pool.threadRunning, 'kept: a pipeline call is open');
      return run;
    });
    t.true(new Set(result.labels.data).size > 2);
    await pool.releaseIdleThread();
    t.false(pool.threadRunning, 'ended once no call uses it');
  } finally {
    await cache.close();
  }
});
