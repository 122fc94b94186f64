import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelPackage, ModelPackageError } from '../../src/inference/model-package.js';
import { GraphBuilder } from '../../src/inference/onnx/builder.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { DataLocation } from '../../src/inference/onnx/onnx-types.js';
import { thresholdModel, tinyUNet } from '../../src/inference/onnx/test-models.js';

const code = (value: string, meaning: string) => ({ value, scheme: 'SCT', meaning });
const label = (value: number, name: string) => ({
  value, name, category: code('123037004', 'Anatomical Structure'), type: code('71616004', 'Skeletal muscle'), color: [200, value * 40, 40],
});

function card(overrides: Record<string, unknown> = {}) {
  return {
    schema: 'dafne-model-card/1', id: 'thigh-test', name: 'Thigh test', generation: 0, parentHash: null,
    input: { kind: '2d-slices', size: [64, 64], pixelSpacing: [1, 1], normalization: { method: 'fixed', offset: 0, scale: 1 } },
    labels: [label(1, 'a'), label(2, 'b'), label(3, 'c')],
    ...overrides,
  };
}

const threeLabels = writeOnnx(thresholdModel({ thresholds: [0.25, 0.5, 0.75] }));

async function rejects(t: import('ava').ExecutionContext, onnx: Uint8Array, c: unknown, message: string, field: string) {
  const e = await t.throwsAsync(loadModelPackage({ onnx, card: c }), { instanceOf: ModelPackageError });
  t.is(e?.message, message);
  t.is(e?.field, field);
}

test('a valid package from a directory: card, names, shape, sha256', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dafne-pkg-'));
  try {
    await writeFile(join(dir, 'model.onnx'), threeLabels);
    await writeFile(join(dir, 'model.json'), JSON.stringify(card()));
    const pkg = await loadModelPackage(dir);
    t.is(pkg.card.id, 'thigh-test');
    t.is(pkg.inputName, 'image');
    t.is(pkg.outputName, 'logits');
    t.deepEqual(pkg.inputShape, ['N', 1, 'H', 'W']);
    t.is(pkg.outputChannels, 4);
    t.is(pkg.sha256, createHash('sha256').update(threeLabels).digest('hex'));
    t.true(pkg.onnx.equals(threeLabels));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a U-Net package with a fixed input size and the card given as JSON text', async (t) => {
  const onnx = writeOnnx(tinyUNet({ classes: 3, size: [64, 64] }));
  const pkg = await loadModelPackage({ onnx, card: JSON.stringify(card({ labels: [label(1, 'a'), label(2, 'b')] })) });
  t.deepEqual(pkg.inputShape, ['N', 1, 64, 64]);
});

test('a missing file names it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dafne-pkg-'));
  try {
    await writeFile(join(dir, 'model.json'), JSON.stringify(card()));
    const e = await t.throwsAsync(loadModelPackage(dir), { instanceOf: ModelPackageError });
    t.is(e?.message, `model.onnx: cannot read ${join(dir, 'model.onnx')} (ENOENT)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('rejects a label table with a gap (labels 1, 2, 4)', async (t) => {
  await rejects(t, threeLabels, card({ labels: [label(1, 'a'), label(2, 'b'), label(4, 'c')] }), 'model.json: labels: label values must be 1..n without gaps (they are output channels 1..n)', 'labels');
});

test('rejects output channels that do not match the labels', async (t) => {
  await rejects(t, threeLabels, card({ labels: [label(1, 'a'), label(2, 'b')] }), 'model.onnx: output "logits" has 4 channels but model.json has 2 labels (needs 3: background + labels)', 'labels');
  // Undeclared output shape: the count is followed back to the final Conv's weight.
  const model = thresholdModel({ thresholds: [0.5] });
  delete model.graph!.output![0]!.type!.tensor_type!.shape;
  await rejects(t, writeOnnx(model), card(), 'model.onnx: output "logits" has 2 channels but model.json has 3 labels (needs 4: background + labels)', 'labels');
});

test('rejects a fixed input size different from the card', async (t) => {
  const onnx = writeOnnx(thresholdModel({ thresholds: [0.25, 0.5, 0.75], size: [128, 128] }));
  await rejects(t, onnx, card(), 'model.onnx: input "image" is [128,128] but model.json input.size is [64,64]', 'input.size');
});

test('rejects a bad card field, bad JSON, unknown names', async (t) => {
  await rejects(t, threeLabels, card({ labels: [label(1, 'a'), label(2, 'b'), { ...label(3, 'c'), color: [0, 0, 256] }] }), 'model.json: labels.2.color.2: Too big: expected number to be <=255', 'labels.2.color.2');
  await rejects(t, threeLabels, '{"schema": ', 'model.json: not valid JSON (Unexpected end of JSON input)', 'model.json');
  await rejects(t, threeLabels, card({ input: { ...card().input, inputName: 'x' } }), 'model.onnx: input "x" (model.json input.inputName) does not exist (inputs: image)', 'input.inputName');
  await rejects(t, threeLabels, card({ input: { ...card().input, outputName: 'probs' } }), 'model.onnx: output "probs" (model.json input.outputName) does not exist (outputs: logits)', 'input.outputName');
});

test('rejects what is not an ONNX model, extra inputs, wrong input channels, unsupported ops', async (t) => {
  await rejects(t, Buffer.from('not onnx'), card(), 'model.onnx: not an ONNX model (protobuf decoding failed: invalid wire type 6 at offset 1)', 'model.onnx');
  await rejects(t, Buffer.from([0x08, 0x08]), card(), 'model.onnx: not an ONNX model (no ir_version or graph)', 'model.onnx');

  const twoInputs = new GraphBuilder('g');
  const a = twoInputs.input('image', ['N', 1, 'H', 'W']);
  const m = twoInputs.input('mask', ['N', 1, 'H', 'W']);
  twoInputs.output(twoInputs.node('Add', [a, m], {}, { outputs: ['logits'] }), ['N', 4, 'H', 'W']);
  await rejects(t, writeOnnx(twoInputs.build()), card(), 'model.onnx: expected one graph input, found 2 (image, mask)', 'graph.input');

  const rgb = new GraphBuilder('g');
  rgb.output(rgb.node('Relu', [rgb.input('image', ['N', 3, 64, 64])], {}, { outputs: ['logits'] }), ['N', 4, 64, 64]);
  await rejects(t, writeOnnx(rgb.build()), card(), 'model.onnx: input "image" has 3 channels, expected 1 (shape [N,3,64,64])', 'graph.input');

  const dilated = new GraphBuilder('g');
  const w = dilated.initializer('w', [4, 1, 3, 3], new Float32Array(36));
  dilated.output(dilated.node('Conv', [dilated.input('image', ['N', 1, 64, 64]), w], { dilations: [2, 2], pads: [2, 2, 2, 2] }, { name: 'conv7', outputs: ['logits'] }), ['N', 4, 64, 64]);
  await rejects(t, writeOnnx(dilated.build()), card(), 'model.onnx: node "conv7" (Conv): dilations [2,2] not supported (only 1)', 'node "conv7"');

  const external = thresholdModel({ thresholds: [0.25, 0.5, 0.75] });
  Object.assign(external.graph!.initializer![0]!, { raw_data: undefined, data_location: DataLocation.EXTERNAL, external_data: [{ key: 'location', value: 'w.bin' }] });
  await rejects(t, writeOnnx(external), card(), 'model.onnx: initializer "diff.weight" uses external data (a package must be self-contained)', 'initializer "diff.weight"');
});
