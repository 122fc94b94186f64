/**
 * `npm run bench:federation` (docs/benchmarks.md "Federation"):
 *   1. delta size per encoding vs the full demo model, and the Dice cost of each compression: one
 *      real fine-tune of the demo model (Dafne's recipe, on a contrast the root never saw) is
 *      encoded, decoded and applied to the root, and scored against the uncompressed candidate on
 *      held-out phantoms of that contrast and of T1;
 *   2. merge time for a window of 10 deltas of the demo model (decode + verify each signed file,
 *      clip + weighted trimmed mean, apply, write the ONNX): the real delta plus seeded 10 %
 *      variations stand in for 10 sites (merge cost does not depend on what the numbers are).
 * Prints markdown rows and writes var/bench/federation.json. Argument: [repetitions=3].
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { applyDelta, makeDelta, readDelta, type DeltaManifest } from '../src/federation/delta.js';
import { applyMerged, mergeDeltas } from '../src/federation/merge.js';
import { generateKeyPair } from '../src/federation/signing.js';
import { readOnnx, writeOnnx } from '../src/inference/onnx/onnx-io.js';
import { seededRandom } from '../src/inference/onnx/test-models.js';
import { parseModelCard } from '../src/inference/model-card.js';
import { validateModelPackage } from '../src/inference/model-package.js';
import { DEMO_PACKAGE_DIR } from '../src/learning/ensure-demo.js';
import { evaluateDice } from '../src/learning/evaluate.js';
import { fineTuneCandidate } from '../src/learning/learning-cycle.js';
import { phantomSet } from '../src/learning/phantom-data.js';
import { recipe } from '../src/learning/recipe.js';
import { FAT_SUPPRESSED } from '../experiments/federation/sites.js';
import { createPrivateKey } from 'node:crypto';

const reps = Number(process.argv[2] ?? 3);
const root = readFileSync(`${DEMO_PACKAGE_DIR}/model.onnx`);
const card = parseModelCard(JSON.parse(readFileSync(`${DEMO_PACKAGE_DIR}/model.json`, 'utf8')));
const pkg = validateModelPackage(root, card);
const labels = card.labels.length;
const keys = generateKeyPair();
const key = createPrivateKey(keys.privateKeyPem);
const info = { modelId: card.id, siteId: 'bench', trainingSlices: 20, trainingSeries: 2, localGate: { heldOut: null, benchmark: null, corrections: null }, software: 'bench' };

const t0 = performance.now();
const corrections = phantomSet(card, { seeds: [501, 502], contrasts: [FAT_SUPPRESSED], slices: 10 });
const cand = Buffer.from((await fineTuneCandidate(pkg, corrections, recipe())).onnx);
const trainS = (performance.now() - t0) / 1000;
const heldFs = phantomSet(card, { seeds: [601, 602, 603], contrasts: [FAT_SUPPRESSED], slices: 8 });
const heldT1 = phantomSet(card, { seeds: [701, 702, 703], contrasts: ['T1'], slices: 8 });
const dice = async (onnx: Uint8Array) => ({ fs: (await evaluateDice(onnx, heldFs, labels)).mean, t1: (await evaluateDice(onnx, heldT1, labels)).mean });
const base = await dice(root);
const full = await dice(cand);

const rows: { encoding: string; bytes: number; ratio: number; diceFs: number; diceT1: number; costFs: number; costT1: number }[] = [];
for (const encoding of ['float32-zlib', 'float16-zlib', 'sparse-float16-zlib'] as DeltaManifest['encoding'][]) {
  const file = makeDelta(root, cand, { ...info, encoding }, key);
  const applied = applyDelta(root, readDelta(file, keys.publicKeyPem).tensors);
  const d = await dice(applied);
  rows.push({ encoding, bytes: file.length, ratio: root.length / file.length, diceFs: d.fs, diceT1: d.t1, costFs: full.fs - d.fs, costT1: full.t1 - d.t1 });
}

// Ten site deltas for the merge window.
const realTensors = readDelta(makeDelta(root, cand, { ...info, encoding: 'float32-zlib' }, key), keys.publicKeyPem).tensors;
const files: Buffer[] = [];
for (let s = 0; s < 10; s++) {
  const r = seededRandom(1000 + s);
  const t = new Map([...realTensors].map(([n, v]) => [n, Float32Array.from(v, (x) => x * (1 + 0.1 * (2 * r() - 1)))]));
  files.push(makeDelta(root, applyDelta(root, t), { ...info, siteId: `site-${s}`, encoding: 'float16-zlib', trainingSlices: 10 + s }, key));
}
const phases = { decodeMs: [] as number[], mergeMs: [] as number[], applyMs: [] as number[], totalMs: [] as number[] };
for (let i = 0; i < reps; i++) {
  const a = performance.now();
  const rootModel = readOnnx(root);
  const inputs = files.map((f, k) => {
    const d = readDelta(f, keys.publicKeyPem);
    return { id: `d${k}`, weight: d.manifest.trainingSlices, tensors: d.tensors, base: rootModel };
  });
  const b = performance.now();
  const update = mergeDeltas(rootModel, inputs);
  const c = performance.now();
  const merged = applyMerged(root, update);
  void writeOnnx(readOnnx(merged));
  const e = performance.now();
  phases.decodeMs.push(b - a);
  phases.mergeMs.push(c - b);
  phases.applyMs.push(e - c);
  phases.totalMs.push(e - a);
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
const result = {
  model: { id: card.id, bytes: root.length, trainingSeconds: trainS },
  dice: { root: base, uncompressed: full },
  encodings: rows,
  merge10: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)])),
  repetitions: reps,
};
mkdirSync('var/bench', { recursive: true });
writeFileSync('var/bench/federation.json', JSON.stringify(result, null, 2));
const f = (x: number, d = 4) => x.toFixed(d);
console.log(`demo model ${root.length} bytes; fine-tune (20 FS slices, Dafne recipe) ${trainS.toFixed(0)} s; held-out Dice root FS ${f(base.fs)} / T1 ${f(base.t1)}, candidate FS ${f(full.fs)} / T1 ${f(full.t1)}\n`);
console.log('| encoding | delta bytes | full / delta | held-out Dice FS (T1) after decode | Dice cost vs uncompressed FS (T1) |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.encoding} | ${r.bytes} | ${r.ratio.toFixed(1)}× | ${f(r.diceFs)} (${f(r.diceT1)}) | ${f(r.costFs)} (${f(r.costT1)}) |`);
console.log(`\nmerge of 10 float16-zlib deltas (median of ${reps}): decode+verify ${f(result.merge10.decodeMs!, 0)} ms, aggregate ${f(result.merge10.mergeMs!, 0)} ms, apply+write ${f(result.merge10.applyMs!, 0)} ms, total ${f(result.merge10.totalMs!, 0)} ms`);
