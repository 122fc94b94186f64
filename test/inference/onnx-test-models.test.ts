import test from 'ava';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { listInitializers, readOnnx, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { checkSupportedOps } from '../../src/inference/onnx/supported-ops.js';
import { thresholdLabel, thresholdModel, tinyUNet } from '../../src/inference/onnx/test-models.js';

/** The float32 neighbours of v (one ulp below and above). */
function neighbours(v: number): [number, number] {
  const f = new Float32Array([v]);
  const i = new Int32Array(f.buffer);
  const base = i[0]!;
  const step = (d: number) => {
    if (v === 0) return d * 2 ** -149;
    i[0] = base + (v > 0 ? d : -d);
    return f[0]!;
  };
  return [step(-1), step(1)];
}

function argmax(logits: Float32Array, channels: number, plane: number, i: number): { label: number; value: number } {
  let label = 0;
  for (let c = 1; c < channels; c++) if (logits[c * plane + i]! > logits[label * plane + i]!) label = c;
  return { label, value: logits[label * plane + i]! };
}

async function runThreshold(thresholds: number[], values: number[]): Promise<{ labels: number[]; peaks: number[]; logits: Float32Array }> {
  const runner = await OnnxRunner.create(writeOnnx(thresholdModel({ thresholds })), { intraOpNumThreads: 1 });
  try {
    const input = Float32Array.from(values);
    const { data, dims } = await runner.runWithDims(input, 1, 1, values.length);
    const channels = thresholds.length + 1;
    if (dims.join() !== [1, channels, 1, values.length].join()) throw new Error(`dims ${dims}`);
    const picks = values.map((_, i) => argmax(data, channels, values.length, i));
    return { labels: picks.map((p) => p.label), peaks: picks.map((p) => p.value), logits: data };
  } finally {
    await runner.close();
  }
}

test('threshold model: ORT arg-max equals the documented label for a ramp, at and around every threshold', async (t) => {
  const thresholds = [0.1, 0.25, 0.5, 0.9];
  const values: number[] = [];
  for (let i = 0; i < 64 * 64; i++) values.push(Math.fround(-0.5 + (2 * i) / (64 * 64 - 1))); // ramp −0.5 … 1.5
  for (const th of thresholds) values.push(Math.fround(th), ...neighbours(th), ...neighbours(neighbours(th)[0]));
  values.push(-Infinity, Infinity, 0, -0, 2 ** -149, -(2 ** -149), 3.4e38, -3.4e38);
  const { labels, peaks } = await runThreshold(thresholds, values);
  values.forEach((x, i) => {
    const want = thresholdLabel(x, thresholds);
    if (labels[i] !== want) t.fail(`x=${x}: label ${labels[i]}, expected ${want}`);
    // The winning logit is exactly the label (logit_c = min(c, 2L − c)).
    if (peaks[i] !== want) t.fail(`x=${x}: peak logit ${peaks[i]}, expected ${want}`);
  });
  // Spelled out for one threshold: the float below 0.5 is label 2, 0.5 itself and above are label 3.
  const [below, above] = neighbours(0.5);
  t.deepEqual((await runThreshold(thresholds, [below, 0.5, above])).labels, [2, 3, 3]);
  t.pass();
});

test('threshold model: a threshold at 0 separates the smallest subnormals; logits are min(c, 2L − c)', async (t) => {
  const { labels, logits } = await runThreshold([0, 1], [-(2 ** -149), 0, 2 ** -149, 0.999999, 1]);
  t.deepEqual(labels, [0, 1, 1, 1, 2]);
  // channel-major: voxel 1 (label 1) has logits [0, 1, 0]
  t.deepEqual([logits[1], logits[5 + 1], logits[10 + 1]], [0, 1, 0]);
});

test('threshold model: thresholds are validated', (t) => {
  t.throws(() => thresholdModel({ thresholds: [] }), { message: /at least one threshold/ });
  t.throws(() => thresholdModel({ thresholds: [0.5, 0.5] }), { message: /strictly ascending/ });
  t.throws(() => thresholdModel({ thresholds: [Infinity] }), { message: /finite/ });
  t.notThrows(() => checkSupportedOps(thresholdModel({ thresholds: [0.2, 0.4], size: [32, 32] })));
});

test('tinyUNet: deterministic weights, supported ops, runs in ORT with [N, classes, H, W] output', async (t) => {
  const model = tinyUNet({ inChannels: 1, classes: 4, base: 8, depth: 2 });
  const bytes = writeOnnx(model);
  t.true(bytes.equals(writeOnnx(tinyUNet({ classes: 4 }))), 'same seed, same bytes');
  t.false(bytes.equals(writeOnnx(tinyUNet({ classes: 4, seed: 2 }))));
  t.true(bytes.equals(writeOnnx(readOnnx(bytes))));
  checkSupportedOps(readOnnx(bytes));
  const ops = new Set(model.graph!.node!.map((n) => n.op_type));
  t.deepEqual([...ops].sort(), ['BatchNormalization', 'Concat', 'Conv', 'ConvTranspose', 'MaxPool', 'Relu']);
  t.true(listInitializers(model).some((i) => i.name === 'up0.weight' && i.dims.join() === '16,8,2,2'));

  const runner = await OnnxRunner.create(bytes, { intraOpNumThreads: 2 });
  const n = 2, h = 32, w = 48;
  const input = Float32Array.from({ length: n * h * w }, (_, i) => Math.sin(i / 7));
  const { data, dims } = await runner.runWithDims(input, n, h, w);
  t.deepEqual(dims, [n, 4, h, w]);
  t.true(data.every(Number.isFinite));
  t.true(new Set(data).size > 100, 'not a constant output');
  await runner.close();
});

test('tinyUNet: random BatchNorm statistics and fixed sizes still run', async (t) => {
  const bytes = writeOnnx(tinyUNet({ classes: 3, base: 4, depth: 3, batchNorm: 'random', size: [64, 64] }));
  checkSupportedOps(readOnnx(bytes));
  const runner = await OnnxRunner.create(bytes, { intraOpNumThreads: 1 });
  t.deepEqual((await runner.runWithDims(new Float32Array(64 * 64).fill(0.5), 1, 64, 64)).dims, [1, 3, 64, 64]);
  await runner.close();
});
