import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { readOnnx } from '../inference/onnx/onnx-io.js';
import type { Recipe } from './recipe.js';
import { pick, type SliceSet } from './slice-set.js';
import { initTf, tf } from './tf-backend.js';
import { TrainableOnnx } from './trainable-onnx.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './grad-worker.js';

/**
 * Data-parallel gradients over worker threads (grad-worker.ts: each its own onnxruntime session or
 * wasm instance; tfjs-wasm threads do not work in Node). A batch is split into one shard per worker;
 * each worker returns its shard's gradient scaled by the shard's share of the batch, and the sum is
 * the batch gradient (exact for cross-entropy; the Dice term is pooled per shard, as it is per
 * micro-batch). The caller applies the optimizer and sends the new weights back with `setWeights`.
 * fineTune uses this with `workers` > 1; ParallelTrainer below is the stand-alone tfjs form (test).
 */
export interface PoolOptions {
  workers?: number;
  engine?: WorkerInit['engine'];
  outputName?: string;
}

export class GradientPool {
  private constructor(private readonly workers: Worker[]) {}

  static async create(onnx: Uint8Array, classes: number, recipe: Recipe, opts: PoolOptions = {}): Promise<GradientPool> {
    const init: WorkerInit = { onnx, classes, recipe, engine: opts.engine ?? 'tfjs', outputName: opts.outputName };
    const list = Array.from({ length: opts.workers ?? 2 }, () => new Worker(new URL('./grad-worker.js', import.meta.url), { workerData: init }));
    try {
      await Promise.all(list.map((w) => once(w, 'message')));
    } catch (e) {
      await Promise.all(list.map((w) => w.terminate()));
      throw e;
    }
    return new GradientPool(list);
  }

  get size(): number {
    return this.workers.length;
  }

  private ask(w: Worker, m: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      w.once('error', onError);
      w.once('message', (r: WorkerReply) => {
        w.off('error', onError);
        if (r.type === 'error') reject(new Error(r.message));
        else resolve(r);
      });
      w.postMessage(m);
    });
  }

  /**
   * Gradient of the loss over `batch` × `fraction` (its share of an accumulated batch), summed over
   * the workers' shards, by initializer name; the loss (unscaled); the workers' mean BatchNorm
   * running statistics when they were updated.
   */
  async gradients(batch: SliceSet, fraction = 1, ceWeights?: readonly number[]): Promise<{ loss: number; grads: Map<string, Float32Array>; state: Map<string, Float32Array> }> {
    const per = Math.ceil(batch.count / this.workers.length);
    const shards: { w: Worker; n: number; idx: number[] }[] = [];
    this.workers.forEach((w, i) => {
      const idx = Array.from({ length: Math.max(0, Math.min(per, batch.count - i * per)) }, (_, k) => i * per + k);
      if (idx.length) shards.push({ w, n: idx.length, idx });
    });
    const replies = (await Promise.all(shards.map((s) => this.ask(s.w, { type: 'grads', batch: pick(batch, s.idx), fraction: (fraction * s.n) / batch.count, ceWeights })))) as Extract<WorkerReply, { type: 'grads' }>[];
    const grads = new Map<string, Float32Array>();
    const state = new Map<string, Float32Array>();
    let loss = 0;
    replies.forEach((r, i) => {
      const share = shards[i]!.n / batch.count;
      loss += r.loss * share;
      for (const [k, g] of r.grads) {
        const s = grads.get(k);
        if (!s) grads.set(k, g);
        else for (let j = 0; j < g.length; j++) s[j] += g[j]!;
      }
      for (const [k, v] of r.state) {
        const s = state.get(k) ?? new Float32Array(v.length);
        for (let j = 0; j < v.length; j++) s[j] += v[j]! * share;
        state.set(k, s);
      }
    });
    return { loss, grads, state };
  }

  async setWeights(weights: Map<string, Float32Array>): Promise<void> {
    const list = [...weights];
    await Promise.all(this.workers.map((w) => this.ask(w, { type: 'weights', weights: list })));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** A master network + optimizer over a GradientPool: one Adam step per call of `step`. */
export class ParallelTrainer {
  private constructor(readonly net: TrainableOnnx, private readonly pool: GradientPool, private readonly optimizer: tf.Optimizer) {}

  static async create(onnx: Uint8Array, classes: number, recipe: Recipe, workers = 2): Promise<ParallelTrainer> {
    await initTf('wasm');
    const pool = await GradientPool.create(onnx, classes, recipe, { workers });
    return new ParallelTrainer(new TrainableOnnx(readOnnx(onnx)), pool, tf.train.adam(recipe.learningRate));
  }

  /** One optimizer step on `batch`; returns the batch loss. */
  async step(batch: SliceSet): Promise<number> {
    const { loss, grads: sums, state } = await this.pool.gradients(batch);
    const grads: tf.NamedTensorMap = {};
    for (const [k, v] of this.net.variables) grads[v.name] = tf.tensor(sums.get(k)!, v.shape);
    this.optimizer.applyGradients(grads);
    for (const t of Object.values(grads)) t.dispose();
    if (state.size) this.net.setWeights(state);
    await this.pool.setWeights(this.net.weights(state.size > 0));
    return loss;
  }

  async close(): Promise<void> {
    await this.pool.close();
    this.optimizer.dispose();
    this.net.dispose();
  }
}
