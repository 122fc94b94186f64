import { writeOnnx } from '../inference/onnx/onnx-io.js';
import { Adam } from './adam.js';
import { gradGraph } from './grad-graph.js';
import { OrtGradients } from './ort-gradients.js';
import { GradientPool } from './parallel.js';
import { microBatchFor, workersFor, type Recipe } from './recipe.js';
import type { TrainableOnnx } from './trainable-onnx.js';
import type { Stepper } from './trainer.js';

/**
 * The onnxruntime engine of fineTune: gradients from the training-step graph (grad-graph.ts) in a
 * one-thread session here, or data-parallel over `workers` threads each with its own one-thread
 * session (grad-worker.ts); L2 pull and Adam (adam.ts) on plain Float32Arrays; the net gets the
 * weights back when training ends. Throws NotDifferentiableError (before starting any thread)
 * when the graph has an operator form without a gradient rule.
 */
export async function ortStepper(net: TrainableOnnx, classes: number, r: Recipe, height: number, width: number, ceWeights: readonly number[] | undefined): Promise<Stepper> {
  const model = net.toOnnx();
  const opts = { outputName: net.outputName, height, width, diceWeight: r.diceWeight, crossEntropyWeight: r.crossEntropyWeight, threads: 1 };
  const { params, classes: graphClasses } = gradGraph(model, opts);
  if (graphClasses !== classes) throw new Error(`fineTune: the model has ${graphClasses} output channels, the training data ${classes} classes`);
  // Copies: on tfjs's cpu backend dataSync returns the variable's own storage.
  const weights = new Map([...net.weights(false)].map(([n, v]) => [n, v.slice()]));
  for (const p of params) if (!weights.has(p.name)) throw new Error(`fineTune: "${p.name}" is trainable in the gradient graph but not in the net`);
  const base = r.l2Pull > 0 ? new Map([...weights].map(([n, v]) => [n, v.slice()])) : undefined;
  const workers = workersFor(r);
  const pool = workers > 1 ? await GradientPool.create(writeOnnx(model), classes, r, { workers, engine: 'onnxruntime', outputName: net.outputName }) : undefined;
  const local = pool ? undefined : await OrtGradients.create(model, opts);
  const adam = new Adam(r.learningRate);
  return {
    engine: 'onnxruntime',
    chunk: microBatchFor(r, height, width) * workers,
    step: async (chunks, learningRate) => {
      let sum: Map<string, Float32Array> | undefined;
      let loss = 0;
      for (const { batch, fraction } of chunks) {
        const res = pool ? await pool.gradients(batch, fraction, ceWeights) : await local!.gradients(weights, batch, fraction, ceWeights);
        loss += res.loss * fraction;
        if (!sum) sum = res.grads;
        else for (const [k, g] of res.grads) {
          const s = sum.get(k)!;
          for (let i = 0; i < g.length; i++) s[i] += g[i]!;
        }
      }
      if (base) {
        for (const [n, w] of weights) {
          const s = sum!.get(n)!, w0 = base.get(n)!;
          for (let i = 0; i < w.length; i++) s[i] += 2 * r.l2Pull * (w[i]! - w0[i]!);
        }
      }
      adam.learningRate = learningRate;
      adam.apply(weights, sum!);
      if (pool) await pool.setWeights(weights);
      return loss;
    },
    finish: () => net.setWeights(weights),
    close: async () => {
      await local?.close();
      await pool?.close();
    },
  };
}
