import test from 'ava';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { thresholdModel } from '../../src/inference/onnx/test-models.js';

const model = writeOnnx(thresholdModel({ thresholds: [0.5] }));

test('runs batches on one reused session and returns N×C×H×W logits', async (t) => {
  const runner = await OnnxRunner.create(model, { intraOpNumThreads: 1 });
  t.is(runner.inputName, 'image');
  t.is(runner.outputName, 'logits');
  // Concurrent calls are queued, each gets its own result.
  const [a, b] = await Promise.all([
    runner.run(Float32Array.of(0, 1, 0.4, 0.6), 2, 1, 2),
    runner.run(Float32Array.of(1, 1, 1), 1, 3, 1),
  ]);
  t.is(a.length, 2 * 2 * 1 * 2);
  // sample 0: x = [0, 1] → channel 0 = [0, 0], channel 1 = [-1, 1]
  t.deepEqual([...a.subarray(0, 4)], [0, 0, -1, 1]);
  t.deepEqual([...b], [0, 0, 0, 1, 1, 1]);
  await runner.close();
  await runner.close(); // idempotent
  await t.throwsAsync(runner.run(Float32Array.of(0), 1, 1, 1), { message: 'OnnxRunner is closed' });
});

test('rejects a batch of the wrong length and unknown input / output names', async (t) => {
  const runner = await OnnxRunner.create(model);
  await t.throwsAsync(runner.run(new Float32Array(3), 1, 2, 2), { instanceOf: RangeError, message: 'batch has 3 values, expected 1×1×2×2' });
  t.is((await runner.run(new Float32Array(4), 1, 2, 2)).length, 8, 'a failed call does not break the next');
  await runner.close();
  await t.throwsAsync(OnnxRunner.create(model, { inputName: 'x' }), { message: 'ONNX model has no input "x" (inputs: image)' });
  await t.throwsAsync(OnnxRunner.create(model, { outputName: 'y' }), { message: 'ONNX model has no output "y" (outputs: logits)' });
});
