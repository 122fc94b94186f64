/**
 * bench:infer (issue 3): (a) the inference pipeline against bare InferenceSession.run on the same
 * prepared tensors, for a 256×256×40 and a 512×512×200 series, in the same run (target ≤ 1.15);
 * (b) SEG encoding against dcmjs (bench/seg-encode.ts); (c) peak RSS of a whole 512×512×200
 * segmentation from DICOM files to SEG, in a separate process (bench/infer-rss.ts, ≤ 800 MB).
 * Env: BENCH_ROUNDS (default 3), BENCH_RSS_RUNS (default 3), BENCH_JS_ARGMAX=1, BENCH_SKIP_SEG=1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
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
const RSS_RUNS = Number(process.env.BENCH_RSS_RUNS ?? 3);
/** BENCH_JS_ARGMAX=1 adds a third variant: the pipeline with the arg-max in JS (no session head). */
const JS_ARGMAX = process.env.BENCH_JS_ARGMAX === '1';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;

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

interface Sessions {
  /** A plain InferenceSession of the model as shipped, onnxruntime's defaults: the bare reference. */
  bare: InferenceSession;
  /** The same with the pipeline's session options (no spinning, onnx-runner.ts), for comparison. */
  bareNoSpin: InferenceSession;
  /** The pipeline's runner (with the arg-max head, as the node runs it). */
  runner: OnnxRunner;
  jsArgmax?: OnnxRunner;
}

async function pipelineVsBare(label: string, v: Volume, pkg: ModelPackage, s: Sessions): Promise<string[]> {
  const batches = preparedBatches(v, pkg);
  const [H, W] = pkg.card.input.size;
  const input = s.bare.inputNames[0]!;
  const output = s.bare.outputNames[0]!;
  const bareRun = (session: InferenceSession) => async (): Promise<void> => {
    for (const b of batches) await session.run({ [input]: new Tensor('float32', b.data, [b.n, 1, H, W]) }, [output]);
  };
  // Warm-up of every session (first runs allocate onnxruntime's arenas).
  await bareRun(s.bare)();
  await bareRun(s.bareNoSpin)();
  await segmentVolume(v, pkg, s.runner);
  await segmentVolume(v, pkg, s.runner, { backproject: null });
  if (s.jsArgmax) await segmentVolume(v, pkg, s.jsArgmax);
  const variants: [string, () => Promise<unknown>][] = [
    ['bare', bareRun(s.bare)],
    ['bare, no spinning', bareRun(s.bareNoSpin)],
    // As the node runs it: labels mapped back on the low-priority thread (backproject-pool.ts).
    ['pipeline', () => segmentVolume(v, pkg, s.runner)],
    ['pipeline, back-projection on the main thread', () => segmentVolume(v, pkg, s.runner, { backproject: null })],
  ];
  if (s.jsArgmax) variants.push(['pipeline, JS arg-max', () => segmentVolume(v, pkg, s.jsArgmax!)]);
  const times = new Map<string, number[]>(variants.map(([k]) => [k, []]));
  const loads: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    loads.push(load());
    // Interleaved, order rotated every round, so a change of machine load hits every variant.
    for (let i = 0; i < variants.length; i++) {
      const [name, fn] = variants[(i + r) % variants.length]!;
      const t0 = performance.now();
      await fn();
      times.get(name)!.push(performance.now() - t0);
    }
    const line = variants.map(([k]) => `${k} ${(times.get(k)![r]! / 1000).toFixed(2)} s`).join(', ');
    console.error(`  ${label} round ${r + 1}: ${line} (load ${loads[r]})`);
  }
  const bare = median(times.get('bare')!);
  const bareNoSpin = median(times.get('bare, no spinning')!);
  return variants.slice(2).map(([k]) => {
    const p = median(times.get(k)!);
    const perRound = times.get(k)!.map((x, i) => (x / times.get('bare')![i]!).toFixed(2)).join(' / ');
    return `| ${label} | ${k} | ${(bare / 1000).toFixed(2)} s | ${(bareNoSpin / 1000).toFixed(2)} s | ${(p / 1000).toFixed(2)} s | **${(p / bare).toFixed(2)}** | ${(p / bareNoSpin).toFixed(2)} | ${perRound} | ${loads.join(', ')} |`;
  });
}

async function main(): Promise<void> {
  const pkg = benchModel();
  const options: InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const sessions: Sessions = {
    bare: await InferenceSession.create(pkg.onnx, options),
    bareNoSpin: await InferenceSession.create(pkg.onnx, { ...options, extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    runner: await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 2 }),
    ...(JS_ARGMAX ? { jsArgmax: await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 2, labelHead: false }) } : {}),
  };
  if (!sessions.runner.hasLabels) throw new Error('the bench model did not take the arg-max head');
  const rows: string[] = [];
  try {
    const small = legPhantom({ seed: 1, rows: 256, columns: 256, slices: 40, pixelSpacing: [0.9, 0.9], sliceSpacing: 5 });
    rows.push(...(await pipelineVsBare('256×256×40 (0.9 mm → 1 mm)', small.volume, pkg, sessions)));
    const large = legPhantom({ seed: 2, rows: 512, columns: 512, slices: 200, pixelSpacing: [0.45, 0.45], sliceSpacing: 1 });
    rows.push(...(await pipelineVsBare('512×512×200 (0.45 mm → 1 mm)', large.volume, pkg, sessions)));
  } finally {
    await sessions.runner.close();
    await sessions.jsArgmax?.close();
    await sessions.bare.release();
    await sessions.bareNoSpin.release();
  }
  console.log(`\n(a) Inference pipeline vs bare InferenceSession.run on the same prepared tensors, interleaved, median of ${ROUNDS}`);
  console.log('U-Net 4 levels, base 16, 256×256 input, batch 4, onnxruntime-node 1.30 CPU, 2 threads');
  console.log('| series | variant | bare ORT (defaults) | bare ORT (no spinning) | pipeline | ratio to bare (target ≤ 1.15) | ratio to bare, no spinning | ratio to bare per round | load average (1 min) per round |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);

  if (process.env.BENCH_SKIP_SEG !== '1') {
    console.log('\n(b) SEG encoding, 100 slices of 512×512, 10 segments');
    console.log(await segEncodeBench());
  }

  // (c) In its own process, so the RSS is that of a segmentation alone (infer-rss.ts reports the
  // child's own VmHWM: its ru_maxrss would include this process's RSS at fork).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-rss-'));
  try {
    const ph = legPhantom({ seed: 3, rows: 512, columns: 512, slices: 200, pixelSpacing: [0.45, 0.45], sliceSpacing: 1 });
    const series = await writeLegSeries(ph.volume, {});
    series.files.forEach((f, i) => writeFileSync(path.join(dir, `${String(i).padStart(4, '0')}.dcm`), f));
    const here = path.dirname(fileURLToPath(import.meta.url));
    console.log(`\n(c) whole segmentation in a fresh process, ${RSS_RUNS} runs`);
    for (let i = 0; i < RSS_RUNS; i++) {
      const before = load();
      const out = execFileSync(process.execPath, [path.join(here, 'infer-rss.js'), dir], { encoding: 'utf8' });
      console.log(`${out.trim()} (load ${before})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
