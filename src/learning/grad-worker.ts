import { parentPort, workerData } from 'node:worker_threads';
import { readOnnx, tensorToFloat32 } from '../inference/onnx/onnx-io.js';
import { DataType } from '../inference/onnx/onnx-types.js';
import { OrtGradients } from './ort-gradients.js';
import type { Recipe } from './recipe.js';
import type { SliceSet } from './slice-set.js';
import { initTf } from './tf-backend.js';
import { TrainableOnnx } from './trainable-onnx.js';
import { batchGradients } from './trainer.js';

/**
 * A data-parallel gradient worker (parallel.ts): its own copy of the network; computes gradients
 * of its shard of each batch and receives the updated weights after each step.
 *   - engine 'onnxruntime': a one-thread onnxruntime session of the training-step graph
 *     (ort-gradients.ts). One thread per worker, not one session with two: the filter-gradient
 *     Gemms (M, N ≤ 256, K = the batch's pixels) do not split over onnxruntime's threads.
 *   - engine 'tfjs': its own wasm instance (tfjs-wasm threads do not work in Node, engine notes).
 *     With BatchNorm trained, the shard's batch statistics normalise it (as per-device BatchNorm in
 *     data-parallel PyTorch) and the worker's updated running statistics go back with the gradients.
 */
export type WorkerRequest =
  | { type: 'grads'; batch: SliceSet; fraction: number; ceWeights?: readonly number[] }
  | { type: 'weights'; weights: [string, Float32Array][] };
export type WorkerReply =
  | { type: 'grads'; loss: number; grads: [string, Float32Array][]; state: [string, Float32Array][] }
  | { type: 'ok' }
  | { type: 'error'; message: string };
export interface WorkerInit {
  onnx: Uint8Array;
  classes: number;
  recipe: Recipe;
  engine: 'onnxruntime' | 'tfjs';
  outputName?: string;
}

type Gradients = (m: Extract<WorkerRequest, { type: 'grads' }>) => Promise<{ loss: number; grads: [string, Float32Array][]; state: [string, Float32Array][] }>;

const { onnx, classes, recipe, engine, outputName } = workerData as WorkerInit;
const port = parentPort!;
let gradients: Gradients;
let setWeights: (w: [string, Float32Array][]) => void;

if (engine === 'onnxruntime') {
  const model = readOnnx(onnx);
  // Every float initializer by name; the session reads the trainable ones.
  const weights = new Map((model.graph?.initializer ?? []).filter((t) => (t.data_type ?? 0) === DataType.FLOAT).map((t) => [t.name ?? '', tensorToFloat32(t)]));
  // One session per slice size (fixed when the first batch arrives).
  let session: Promise<OrtGradients> | undefined;
  let size = '';
  gradients = async (m) => {
    const key = `${m.batch.height}×${m.batch.width}`;
    if (!session || key !== size) {
      await (await session)?.close();
      size = key;
      session = OrtGradients.create(model, { outputName, height: m.batch.height, width: m.batch.width, diceWeight: recipe.diceWeight, crossEntropyWeight: recipe.crossEntropyWeight, threads: 1 });
    }
    const { loss, grads } = await (await session).gradients(weights, m.batch, m.fraction, m.ceWeights);
    // Copies: onnxruntime owns its output buffers, which cannot be transferred.
    return { loss, grads: [...grads].map(([k, g]) => [k, g.slice()]), state: [] };
  };
  setWeights = (list) => {
    for (const [k, v] of list) weights.set(k, v);
  };
} else {
  await initTf('wasm');
  const net = new TrainableOnnx(readOnnx(onnx), { outputName });
  gradients = async (m) => {
    const { loss, grads } = batchGradients(net, m.batch, classes, recipe, m.fraction, m.ceWeights);
    const out: [string, Float32Array][] = Object.entries(grads).map(([k, t]) => {
      const data = (t.dataSync() as Float32Array).slice();
      t.dispose();
      return [k, data];
    });
    const state: [string, Float32Array][] = recipe.trainBatchNorm ? [...net.state].map(([k, v]) => [k, (v.dataSync() as Float32Array).slice()]) : [];
    return { loss, grads: out, state };
  };
  setWeights = (list) => net.setWeights(new Map(list));
}

port.on('message', (m: WorkerRequest) => {
  void (async () => {
    try {
      if (m.type === 'weights') {
        setWeights(m.weights);
        port.postMessage({ type: 'ok' } satisfies WorkerReply);
        return;
      }
      const { loss, grads, state } = await gradients(m);
      port.postMessage({ type: 'grads', loss, grads, state } satisfies WorkerReply, [...grads, ...state].map(([, d]) => d.buffer as ArrayBuffer));
    } catch (e) {
      port.postMessage({ type: 'error', message: (e as Error).message } satisfies WorkerReply);
    }
  })();
});
port.postMessage({ type: 'ok' } satisfies WorkerReply);
