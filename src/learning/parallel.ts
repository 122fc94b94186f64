import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { readOnnx } from '../inference/onnx/onnx-io.js';
import type { Recipe } from './recipe.js';
import { pick, type SliceSet } from './slice-set.js';
import { initTf, tf } from './tf-backend.js';
import { TrainableOnnx } from './trainable-onnx.js';
import type { WorkerReply, WorkerRequest } from './grad-worker.js';

/**
 * Data-parallel training over worker threads: each batch is split into one shard per worker, the
 * workers' gradients (each scaled by its shard's share) are summed, the main thread applies Adam to
 * its master copy and sends the new weights back. Same result as one thread up to float summation
 * order. BatchNorm must be frozen (each worker would see different batch statistics).
 */
export class ParallelTrainer {
  private constructor(readonly net: TrainableOnnx, private readonly workers: Worker[], private readonly optimizer: tf.Optimizer) {}

  static async create(onnx: Uint8Array, classes: number, recipe: Recipe, workers = 2): Promise<ParallelTrainer> {
    if (recipe.trainBatchNorm) throw new Error('ParallelTrainer: BatchNorm must be frozen (trainBatchNorm false)');
    await initTf('wasm');
    const list = Array.from({ length: workers }, () => new Worker(new URL('./grad-worker.js', import.meta.url), { workerData: { onnx, classes, recipe } }));
    await Promise.all(list.map((w) => once(w, 'message')));
    return new ParallelTrainer(new TrainableOnnx(readOnnx(onnx)), list, tf.train.adam(recipe.learningRate));
  }

  private ask(w: Worker, m: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      w.once('message', (r: WorkerReply) => (r.type === 'error' ? reject(new Error(r.message)) : resolve(r)));
      w.postMessage(m, transfer);
    });
  }

  /** One optimizer step on `batch`; returns the batch loss. */
  async step(batch: SliceSet): Promise<number> {
    const n = this.workers.length;
    const per = Math.ceil(batch.count / n);
    const jobs = this.workers.map((w, i) => {
      const idx = Array.from({ length: Math.max(0, Math.min(per, batch.count - i * per)) }, (_, k) => i * per + k);
      return idx.length ? this.ask(w, { type: 'grads', batch: pick(batch, idx), fraction: idx.length / batch.count }) : null;
    });
    const replies = (await Promise.all(jobs.filter((j) => j !== null))) as Extract<WorkerReply, { type: 'grads' }>[];
    const sums = new Map<string, Float32Array>();
    let loss = 0;
    replies.forEach((r, i) => {
      loss += r.loss * (Math.min(per, batch.count - i * per) / batch.count);
      for (const [k, g] of r.grads) {
        const s = sums.get(k);
        if (!s) sums.set(k, g);
        else for (let j = 0; j < g.length; j++) s[j] += g[j]!;
      }
    });
    const grads: tf.NamedTensorMap = {};
    for (const [k, v] of this.net.variables) grads[v.name] = tf.tensor(sums.get(k)!, v.shape);
    this.optimizer.applyGradients(grads);
    for (const t of Object.values(grads)) t.dispose();
    const weights = [...this.net.weights(false)];
    await Promise.all(this.workers.map((w) => this.ask(w, { type: 'weights', weights })));
    return loss;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.optimizer.dispose();
    this.net.dispose();
  }
}
