import { InferenceSession, Tensor } from 'onnxruntime-node';
import { writeOnnx } from '../inference/onnx/onnx-io.js';
import type { OnnxModel } from '../inference/onnx/onnx-types.js';
import { gradGraph, type GradGraph } from './grad-graph.js';
import type { SliceSet } from './slice-set.js';

export interface OrtGradientsOptions {
  outputName?: string;
  height: number;
  width: number;
  diceWeight: number;
  crossEntropyWeight: number;
  /** onnxruntime intra-op threads (the cores one step may use). */
  threads: number;
}

/**
 * Gradients of the Dice + CE loss by initializer name, computed by onnxruntime-node on the
 * training-step graph (grad-graph.ts): the same quantity as trainer.ts batchGradients on tfjs, for
 * frozen BatchNorm. One session per fine-tune; weights are fed on every call. Runs block the
 * calling thread (onnxruntime-node runs a session synchronously), so the product calls it from
 * the fine-tuning worker thread (fine-tune-thread.ts).
 */
export class OrtGradients {
  private constructor(
    private readonly session: InferenceSession,
    readonly graph: GradGraph,
    private readonly opts: OrtGradientsOptions,
  ) {}

  static async create(model: OnnxModel, opts: OrtGradientsOptions): Promise<OrtGradients> {
    const graph = gradGraph(model, { outputName: opts.outputName, height: opts.height, width: opts.width, diceWeight: opts.diceWeight });
    const session = await InferenceSession.create(writeOnnx(graph.model), {
      executionProviders: ['cpu'],
      intraOpNumThreads: opts.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // No spinning between parallel sections: on a shared 2-core node it burns CPU others need
      // (the inference runner's choice, onnx-runner.ts).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    return new OrtGradients(session, graph, opts);
  }

  /**
   * Gradient of the loss over `batch` × `fraction` (its share of an accumulated batch) at `weights`,
   * by initializer name, and the unscaled loss (as loss.ts diceCeLoss computes it).
   */
  async gradients(weights: ReadonlyMap<string, Float32Array>, batch: SliceSet, fraction: number, ceWeights?: readonly number[]): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    const { classes, inChannels, imageName, params, dice } = this.graph;
    const { count: n, height: h, width: w } = batch;
    const plane = h * w;
    const onehot = new Float32Array(n * classes * plane);
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < plane; i++) onehot[(k * classes + batch.masks[k * plane + i]!) * plane + i] = 1;
    }
    const pixels = n * plane;
    const feeds: Record<string, Tensor> = {
      [imageName]: new Tensor('float32', batch.images.subarray(0, n * inChannels * plane), [n, inChannels, h, w]),
      onehot: new Tensor('float32', onehot, [n, classes, h, w]),
      class_weights: new Tensor('float32', Float32Array.from(ceWeights ?? Array<number>(classes).fill(1)), [1, classes, 1, 1]),
      ce_scale: new Tensor('float32', Float32Array.of((this.opts.crossEntropyWeight * fraction) / pixels), []),
    };
    if (dice) feeds.dice_scale = new Tensor('float32', Float32Array.of((this.opts.diceWeight * fraction) / (classes - 1)), []);
    for (const p of params) {
      const v = weights.get(p.name);
      if (!v) throw new Error(`OrtGradients: no weights for "${p.name}"`);
      feeds[`w:${p.name}`] = new Tensor('float32', v, p.dims);
    }
    const out = await this.session.run(feeds);
    const ce = (out.ce_sum!.data as Float32Array)[0]! / pixels;
    let loss = this.opts.crossEntropyWeight * ce;
    if (dice) {
      const d = out.dice!.data as Float32Array;
      let mean = 0;
      for (let c = 1; c < classes; c++) mean += d[c]!;
      loss += this.opts.diceWeight * (1 - mean / (classes - 1));
    }
    const grads = new Map<string, Float32Array>();
    for (const p of params) grads.set(p.name, out[`grad:${p.name}`]!.data as Float32Array);
    return { loss, grads };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
