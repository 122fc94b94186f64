import { parentPort, workerData } from 'node:worker_threads';
import { readOnnx } from '../inference/onnx/onnx-io.js';
import type { Recipe } from './recipe.js';
import type { SliceSet } from './slice-set.js';
import { initTf } from './tf-backend.js';
import { TrainableOnnx } from './trainable-onnx.js';
import { batchGradients } from './trainer.js';

/**
 * A data-parallel gradient worker (parallel.ts): its own wasm instance and copy of the network;
 * computes gradients of its shard of each batch and receives the updated weights after each step.
 * (tfjs-wasm threads do not work in Node, engine notes: worker threads are how a second core helps.)
 * With BatchNorm trained, the shard's batch statistics normalise it (as per-device BatchNorm in
 * data-parallel PyTorch) and the worker's updated running statistics go back with the gradients.
 */
export type WorkerRequest =
  | { type: 'grads'; batch: SliceSet; fraction: number; ceWeights?: readonly number[] }
  | { type: 'weights'; weights: [string, Float32Array][] };
export type WorkerReply =
  | { type: 'grads'; loss: number; grads: [string, Float32Array][]; state: [string, Float32Array][] }
  | { type: 'ok' }
  | { type: 'error'; message: string };

const { onnx, classes, recipe } = workerData as { onnx: Uint8Array; classes: number; recipe: Recipe };
await initTf('wasm');
const net = new TrainableOnnx(readOnnx(onnx));
const port = parentPort!;
port.on('message', (m: WorkerRequest) => {
  try {
    if (m.type === 'weights') {
      net.setWeights(new Map(m.weights));
      port.postMessage({ type: 'ok' } satisfies WorkerReply);
      return;
    }
    const { loss, grads } = batchGradients(net, m.batch, classes, recipe, m.fraction, m.ceWeights);
    const out: [string, Float32Array][] = Object.entries(grads).map(([k, t]) => {
      const data = (t.dataSync() as Float32Array).slice();
      t.dispose();
      return [k, data];
    });
    const state: [string, Float32Array][] = recipe.trainBatchNorm ? [...net.state].map(([k, v]) => [k, (v.dataSync() as Float32Array).slice()]) : [];
    port.postMessage({ type: 'grads', loss, grads: out, state } satisfies WorkerReply, [...out, ...state].map(([, d]) => d.buffer as ArrayBuffer));
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message } satisfies WorkerReply);
  }
});
port.postMessage({ type: 'ok' } satisfies WorkerReply);
