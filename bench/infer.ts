/**
 * bench:infer (issue 3): (a) the inference pipeline against bare InferenceSession.run on the same
 * prepared tensors, for a 256×256×40 and a 512×512×200 series, in the same run (target ≤ 1.15);
 * (b) SEG encoding against dcmjs (bench/seg-encode.ts); (c) peak RSS of a whole 512×512×200
 * segmentation from DICOM files to SEG, in a separate process (bench/infer-rss.ts, ≤ 800 MB).
 * Env: BENCH_ROUNDS (default 3).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Volume } from '../src/dicom/volume.js';
import type { ModelPackage } from '../src/inference/model-package.js';
import { applyNormalisation, normalisationFor } from '../src/inference/normalize.js';
import { OnnxRunner } from '../src/inference/onnx-runner.js';
import { segmentVolume } from '../src/inference/pipeline.js';
import { axisMap, centringOffset, resampleSlice } from '../src/inference/resample.js';
import { legPhantom } from '../src/phantom/leg-phantom.js';
import { writeLegSeries } from '../src/phantom/write-series.js';
import { benchModel } from './bench-model.js';
import { segEncodeBench } from './seg-encode.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The tensors the pipeline feeds the network, prepared up front (what a bare run needs). */
function preparedBatches(v: Volume, pkg: ModelPackage): { data: Float32Array; n: number }[] {
  const card = pkg.card;
  const [H, W] = card.input.size;
  const [rs, cs] = card.input.pixelSpacing;
  const rows = axisMap(v.rows, v.spacing[1], H, rs, centringOffset(v.rows, v.spacing[1], H, rs), true);
  const cols = axisMap(v.columns, v.spacing[0], W, cs, centringOffset(v.columns, v.spacing[0], W, cs), true);
  const affine = normalisationFor(card, v.data, 0, v.data.length);
  const out: { data: Float32Array; n: number }[] = [];
  for (let s = 0; s < v.slices; s += card.input.batchSize) {
    const n = Math.min(card.input.batchSize, v.slices - s);
    const data = new Float32Array(n * H * W);
    for (let b = 0; b < n; b++) resampleSlice(v.data, (s + b) * v.rows * v.columns, v.columns, rows, cols, data, b * H * W, 0);
    applyNormalisation(card, affine, data, 0, data.length);
    out.push({ data, n });
  }
  return out;
}

async function pipelineVsBare(label: string, v: Volume, pkg: ModelPackage, runner: OnnxRunner): Promise<string> {
  const batches = preparedBatches(v, pkg);
  const [H, W] = pkg.card.input.size;
  await runner.run(batches[0]!.data, batches[0]!.n, H, W); // warm-up
  const bare: number[] = [];
  const pipe: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = performance.now();
    for (const b of batches) await runner.run(b.data, b.n, H, W);
    bare.push(performance.now() - t0);
    t0 = performance.now();
    await segmentVolume(v, pkg, runner);
    pipe.push(performance.now() - t0);
  }
  const b = median(bare);
  const p = median(pipe);
  return `| ${label} | ${(b / 1000).toFixed(2)} s | ${(p / 1000).toFixed(2)} s | ${(p / b).toFixed(3)} |`;
}

async function main(): Promise<void> {
  const pkg = benchModel();
  const runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 2 });
  const rows: string[] = [];
  try {
    const small = legPhantom({ seed: 1, rows: 256, columns: 256, slices: 40, pixelSpacing: [0.9, 0.9], sliceSpacing: 5 });
    rows.push(await pipelineVsBare('256×256×40 (0.9 mm → 1 mm)', small.volume, pkg, runner));
    console.error(rows.at(-1));
    const large = legPhantom({ seed: 2, rows: 512, columns: 512, slices: 200, pixelSpacing: [0.45, 0.45], sliceSpacing: 1 });
    rows.push(await pipelineVsBare('512×512×200 (0.45 mm → 1 mm)', large.volume, pkg, runner));
    console.error(rows.at(-1));
  } finally {
    await runner.close();
  }
  console.log(`\n(a) Inference pipeline vs bare InferenceSession.run on the same prepared tensors, median of ${ROUNDS}`);
  console.log('U-Net 4 levels, base 16, 256×256 input, batch 4, onnxruntime-node 1.30 CPU, 2 threads');
  console.log('| series | bare ORT | pipeline | ratio (target ≤ 1.15) |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(r);

  console.log('\n(b) SEG encoding, 100 slices of 512×512, 10 segments');
  console.log(await segEncodeBench());

  // (c) In its own process, so the RSS is that of a segmentation alone.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-rss-'));
  try {
    const ph = legPhantom({ seed: 3, rows: 512, columns: 512, slices: 200, pixelSpacing: [0.45, 0.45], sliceSpacing: 1 });
    const series = await writeLegSeries(ph.volume, {});
    series.files.forEach((f, i) => writeFileSync(path.join(dir, `${String(i).padStart(4, '0')}.dcm`), f));
    const here = path.dirname(fileURLToPath(import.meta.url));
    const out = execFileSync(process.execPath, [path.join(here, 'infer-rss.js'), dir], { encoding: 'utf8' });
    console.log(`\n(c) ${out.trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
