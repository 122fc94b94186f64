import test from 'ava';
import { argmax } from '../../src/inference/backproject.js';
import { LABELS_OUTPUT, withLabelHead } from '../../src/inference/label-head.js';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { graphOutputs, readOnnx, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { thresholdModel, tinyUNet } from '../../src/inference/onnx/test-models.js';
import { mulberry32 } from '../../src/random.js';

test('the arg-max head adds a uint8 labels output and keeps the logits output', (t) => {
  const headed = withLabelHead(writeOnnx(thresholdModel({ thresholds: [0.5] })), undefined)!;
  t.truthy(headed);
  t.deepEqual(
    graphOutputs(readOnnx(headed)).map((o) => o.name),
    ['logits', LABELS_OUTPUT],
  );
  t.is(withLabelHead(writeOnnx(thresholdModel({ thresholds: [0.5] })), 'nope'), null, 'unknown output: no head');
  t.is(withLabelHead(Uint8Array.of(1, 2, 3), undefined), null, 'unreadable graph: no head');
});

test("onnxruntime's labels equal the JS arg-max on a speckled U-Net output and on threshold ties", async (t) => {
  const plane = 64 * 64;
  const unet = writeOnnx(tinyUNet({ classes: 7, base: 4, depth: 2, seed: 3, batchNorm: 'random' }));
  const rand = mulberry32(5);
  const x = Float32Array.from({ length: 3 * plane }, () => rand() * 4 - 2);
  // Threshold model at exactly its thresholds: channel logits tie (x − t = 0), ties go low.
  const thresholds = [0.25, 0.5, 0.75];
  const thr = writeOnnx(thresholdModel({ thresholds }));
  const y = Float32Array.from({ length: 2 * plane }, (_, i) => [0, 0.25, 0.5, 0.75, 1, rand()][i % 6]!);
  for (const [onnx, input, n, channels] of [
    [unet, x, 3, 7],
    [thr, y, 2, thresholds.length + 1],
  ] as const) {
    const runner = await OnnxRunner.create(onnx, { intraOpNumThreads: 1 });
    t.true(runner.hasLabels);
    const out = await runner.runWithLabels(input, n, 64, 64);
    const plain = await runner.run(input, n, 64, 64);
    t.deepEqual(plain, out.data, 'the logits are the same with or without fetching the labels');
    const headless = await OnnxRunner.create(onnx, { intraOpNumThreads: 1, labelHead: false });
    t.deepEqual(await headless.run(input, n, 64, 64), out.data, 'the head does not change the logits');
    await headless.close();
    const js = new Uint8Array(plane);
    let differ = 0;
    for (let b = 0; b < n; b++) {
      argmax(out.data, b * channels * plane, channels, plane, js);
      for (let i = 0; i < plane; i++) if (js[i] !== out.labels[b * plane + i]) differ++;
    }
    t.is(differ, 0);
    t.true(new Set(out.labels).size > 2, 'several labels present');
    await runner.close();
  }
});

test('a runner without the head still runs, and says so', async (t) => {
  const runner = await OnnxRunner.create(writeOnnx(thresholdModel({ thresholds: [0.5] })), { labelHead: false });
  t.false(runner.hasLabels);
  await t.throwsAsync(runner.runWithLabels(new Float32Array(4), 1, 2, 2), { message: 'this OnnxRunner has no arg-max head' });
  t.is((await runner.run(new Float32Array(4), 1, 2, 2)).length, 8);
  await runner.close();
});
