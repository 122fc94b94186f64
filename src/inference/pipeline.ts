import type { LabelVolume, Volume } from '../dicom/volume.js';
import { sharedBackprojectPool, type BackprojectPool } from './backproject-pool.js';
import type { SegmentDefinition } from '../seg/segment.js';
import { splitLaterality, segmentsOf } from './labels.js';
import type { ModelPackage } from './model-package.js';
import { applyNormalisation, normalisationFor, type Affine } from './normalize.js';
import type { OnnxRunner } from './onnx-runner.js';
import { fillHoles, keepLargestComponents } from './postprocess.js';
import { argmax, axisMap, centringOffset, labelsToSource, resampleSlice } from './resample.js';

export interface StageTimings {
  /** Wall-clock time of the whole pipeline, ms. */
  total: number;
  normalise: number;
  resample: number;
  /** Time spent waiting for onnxruntime (the network itself, and its arg-max head if any). */
  inference: number;
  /** Arg-max in JS; 0 when the session's arg-max head did it (onnx-runner.ts). */
  argmax: number;
  /** Labels back onto the source grid, on the pipeline's own thread. */
  resampleBack: number;
  /**
   * The same on the low-priority thread (backproject-pool.ts), overlapped with the network: its
   * elapsed time, which includes the time it waited for idle CPU. Slices: how many it mapped.
   */
  resampleBackOffloaded: { ms: number; slices: number };
  postprocess: number;
}

export interface SegmentationResult {
  labels: LabelVolume;
  segments: SegmentDefinition[];
  timings: StageTimings;
  model: { id: string; generation: number; sha256: string };
}

export interface PipelineOptions {
  /** Called after each batch with slices done and total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * The low-priority thread that maps labels back while onnxruntime runs (backproject-pool.ts).
   * Default: the process-wide one; null: everything on the calling thread.
   */
  backproject?: BackprojectPool | null;
  /**
   * Whole-volume normalisation statistics from these voxels instead of the volume's own: a
   * reformat passes the acquired voxels, so the air it pads outside the source shifts nothing.
   */
  statisticsFrom?: Float32Array;
}

/**
 * The inference pipeline (issue 3 item 3): per slice, resample to the model's pixel spacing and
 * crop / pad to its input size, normalise as the card says, run batches through onnxruntime,
 * arg-max, map labels back onto the source grid; then the card's post-processing and laterality
 * split. Preparation of the next batch overlaps the network run of the previous one.
 */
export async function segmentVolume(volume: Volume, pkg: ModelPackage, runner: OnnxRunner, opts: PipelineOptions = {}): Promise<SegmentationResult> {
  const t0 = performance.now();
  const card = pkg.card;
  const [H, W] = card.input.size;
  const [rowSpacing, colSpacing] = card.input.pixelSpacing;
  const { rows: R, columns: C, slices: Z } = volume;
  const channels = card.labels.length + 1;
  const plane = H * W;
  const t: StageTimings = { total: 0, normalise: 0, resample: 0, inference: 0, argmax: 0, resampleBack: 0, resampleBackOffloaded: { ms: 0, slices: 0 }, postprocess: 0 };
  const time = <T>(stage: Exclude<keyof StageTimings, 'resampleBackOffloaded'>, fn: () => T): T => {
    const s = performance.now();
    const r = fn();
    t[stage] += performance.now() - s;
    return r;
  };

  const offY = centringOffset(R, volume.spacing[1], H, rowSpacing);
  const offX = centringOffset(C, volume.spacing[0], W, colSpacing);
  const fwdRows = axisMap(R, volume.spacing[1], H, rowSpacing, offY, true);
  const fwdCols = axisMap(C, volume.spacing[0], W, colSpacing, offX, true);
  const backRows = axisMap(H, rowSpacing, R, volume.spacing[1], offY, false);
  const backCols = axisMap(W, colSpacing, C, volume.spacing[0], offX, false);

  const scope = card.input.normalization.method === 'fixed' ? 'volume' : card.input.normalization.scope;
  const volumeAffine: Affine | undefined = scope === 'volume' ? time('normalise', () => normalisationFor(card, opts.statisticsFrom ?? volume.data, 0, (opts.statisticsFrom ?? volume.data).length)) : undefined;
  // With the arg-max head the back-projection can go to the low-priority thread, which writes into
  // shared memory; batches it cannot take in time are mapped here as before. A series of one batch
  // has nothing to hand over (the last batch is always mapped here): no thread, no slots.
  const batchSize = card.input.batchSize;
  const pool = runner.hasLabels && Z > batchSize ? (opts.backproject === undefined ? sharedBackprojectPool() : opts.backproject) : null;
  const shared = pool ? new SharedArrayBuffer(volume.data.length) : null;
  const labels = shared ? new Uint8Array(shared) : new Uint8Array(volume.data.length);
  const offload = shared && pool ? pool.begin(shared, backRows, backCols, W, plane, channels, R * C, batchSize) : null;
  const modelLabels = new Uint8Array(plane);

  let consumed: Promise<void> = Promise.resolve();
  let done = 0;
  try {
    for (let start = 0; start < Z; start += batchSize) {
      const n = Math.min(batchSize, Z - start);
      const input = new Float32Array(n * plane);
      for (let b = 0; b < n; b++) {
        const k = start + b;
        const srcOffset = k * R * C;
        time('resample', () => resampleSlice(volume.data, srcOffset, C, fwdRows, fwdCols, input, b * plane, 0));
        const affine = volumeAffine ?? time('normalise', () => normalisationFor(card, volume.data, srcOffset, srcOffset + R * C));
        time('normalise', () => applyNormalisation(card, affine, input, b * plane, (b + 1) * plane));
      }
      // With the arg-max head, onnxruntime returns the model-grid labels too (label-head.ts).
      const ran = runner.hasLabels ? runner.runWithLabels(input, n, H, W) : runner.runWithDims(input, n, H, W);
      // Consume batches in order; the next batch is prepared while this one runs.
      const previous = consumed;
      consumed = (async () => {
        await previous;
        const waitStart = performance.now();
        const out = await ran;
        t.inference += performance.now() - waitStart;
        // The runner starts the next queued batch in a microtask that would run only after this
        // continuation: yield once, so onnxruntime is busy with batch k+1 while this thread maps
        // batch k back (without it the network idled during every back-projection).
        await new Promise<void>((resolve) => setImmediate(resolve));
        const logits = out.data;
        if (logits.length !== n * channels * plane) throw new Error(`model output has ${logits.length} values, expected ${n}×${channels}×${H}×${W}`);
        const ortLabels = 'labels' in out ? (out.labels as Uint8Array) : undefined;
        if (ortLabels && ortLabels.length !== n * plane) throw new Error(`model arg-max has ${ortLabels.length} values, expected ${n}×${H}×${W}`);
        // Not the last batch: nothing runs beside it, so it is quickest mapped here.
        if (ortLabels && start + n < Z && offload?.tryOffload(logits, ortLabels, n, start)) {
          done += n;
          opts.onProgress?.(done, Z);
          return;
        }
        for (let b = 0; b < n; b++) {
          const sliceLabels = ortLabels ? ortLabels.subarray(b * plane, (b + 1) * plane) : modelLabels;
          if (!ortLabels) time('argmax', () => argmax(logits, b * channels * plane, channels, plane, modelLabels));
          time('resampleBack', () => labelsToSource(sliceLabels, logits, b * channels * plane, plane, W, backRows, backCols, labels, (start + b) * R * C));
        }
        done += n;
        opts.onProgress?.(done, Z);
      })();
      // At most two batches in flight: bounded memory whatever the series length.
      if (start + batchSize < Z) await previous;
    }
    await consumed;
  } catch (err) {
    // Let the thread finish what it has (it writes into `labels`) and forget the call's buffers.
    consumed.catch(() => undefined);
    await offload?.finish().catch(() => 0);
    throw err;
  }
  if (offload) {
    const f = await offload.finish();
    t.resampleBack += f.takenBackMs;
    t.resampleBackOffloaded = { ms: f.threadMs, slices: f.mapped };
  }

  const { data: _drop, ...geometry } = volume;
  const result: LabelVolume = { ...geometry, data: labels };
  const labelValues = card.labels.map((l) => l.value);
  const segments = time('postprocess', () => {
    if (card.postprocessing.largestComponent) keepLargestComponents(result, labelValues);
    if (card.postprocessing.fillHoles) fillHoles(result, labelValues);
    return card.laterality.split ? splitLaterality(result, card) : segmentsOf(card);
  });
  t.total = performance.now() - t0;
  return { labels: result, segments, timings: t, model: { id: card.id, generation: card.generation, sha256: pkg.sha256 } };
}
