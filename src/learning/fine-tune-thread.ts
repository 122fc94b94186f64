import { Worker } from 'node:worker_threads';
import type { ModelPackage } from '../inference/model-package.js';
import type { Candidate } from './learning-cycle.js';
import type { Recipe } from './recipe.js';
import type { SliceSet } from './slice-set.js';
import type { TrainProgress } from './trainer.js';

/** Messages of src/learning/fine-tune-worker.ts. */
export type FineTuneMessage =
  | { type: 'progress'; p: TrainProgress }
  | { type: 'done'; onnx: Uint8Array; card: Candidate['card']; training: Candidate['training'] }
  | { type: 'error'; message: string };

/**
 * `fineTuneCandidate` in a worker thread. The tfjs-wasm training step is synchronous: run on the
 * main thread of `serve` it would stall STOW-RS and the API for each step of a nightly run (seconds
 * at 256²). The worker gets the package bytes, card and slices (copied), sends progress, and returns
 * the candidate; it is terminated afterwards, so its wasm heap (up to 4 GiB) goes with it.
 */
export function fineTuneInThread(pkg: ModelPackage, corrections: SliceSet, r: Recipe, onProgress?: (p: TrainProgress) => void, rehearsal?: SliceSet): Promise<Candidate> {
  const worker = new Worker(new URL('./fine-tune-worker.js', import.meta.url), { workerData: { onnx: pkg.onnx, card: pkg.card, corrections, recipe: r, rehearsal } });
  return new Promise<Candidate>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: FineTuneMessage) => {
      if (m.type === 'progress') onProgress?.(m.p);
      else {
        settled = true;
        if (m.type === 'done') resolve({ onnx: Buffer.from(m.onnx.buffer, m.onnx.byteOffset, m.onnx.byteLength), card: m.card, training: m.training });
        else reject(new Error(m.message));
      }
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the fine-tuning thread stopped before it finished (exit code ${code})`));
    });
  }).finally(() => void worker.terminate());
}
