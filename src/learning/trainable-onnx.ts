import { nodeAttributes, type AttrValue } from '../inference/onnx/attributes.js';
import { graphInputs, graphOutputs, readOnnx, setFloat32Initializer, tensorDims, tensorToFloat32, writeOnnx } from '../inference/onnx/onnx-io.js';
import { DataType, type Node, type OnnxModel } from '../inference/onnx/onnx-types.js';
import { checkSupportedOps } from '../inference/onnx/supported-ops.js';
import { batchNorm, conv2d, convTranspose2x2, resizeMatrix, resizeSeparable, type Conv2dSpec } from './fast-ops.js';
import { convPads, floatAttr, initializerNumbers, ints, resizeGeometry } from './onnx-geometry.js';
import { tf } from './tf-backend.js';

/**
 * "Trainable ONNX" (engine notes): runs an ONNX graph's nodes with tfjs ops. The initializers the
 * network learns are tf.Variables in ONNX layout (weights are transposed inside the recorded
 * computation, so gradients land on ONNX-layout tensors and write back unchanged); activations are
 * NHWC internally (what tfjs convolutions take). The ONNX file stays the single source of truth
 * (DESIGN §5): `toOnnx()` writes the variables back into a copy of the original model.
 *
 * Only SUPPORTED_OPS (checked at construction) are implemented — the two lists must stay in step.
 * Trainable: Conv / ConvTranspose weights and biases, BatchNormalization scale and bias. BatchNorm
 * running mean / variance are state (updated only when training with batch statistics); every other
 * initializer (Add / Mul constants, Resize scales) is a constant.
 */
export interface ForwardOptions {
  /** Normalise BatchNorm with batch statistics and update the running ones (default: frozen, running stats). */
  batchStats?: boolean;
}

export interface TrainableOptions {
  outputName?: string;
  /**
   * 'fast' (default): convolution gradients as forward convolutions, ConvTranspose as matmul + pixel
   * shuffle. 'stock': tf.conv2d / tf.conv2dTranspose with tfjs's own gradients — the reference the
   * gradient tests compare against on the cpu backend, and the baseline of bench/train.ts.
   */
  gradients?: 'fast' | 'stock';
}

interface Value {
  t: tf.Tensor;
  /** 4D activation stored NHWC (its ONNX shape is NCHW); otherwise ONNX layout. */
  nhwc: boolean;
}

/** ONNX layout → NHWC broadcast form for a constant combined with an activation. */
function toNhwcBroadcast(t: tf.Tensor): tf.Tensor {
  if (t.rank === 0) return t;
  if (t.rank > 4) throw new Error('broadcast operand of rank > 4');
  const shape = [...Array(4 - t.rank).fill(1), ...t.shape];
  return tf.transpose(t.reshape(shape), [0, 2, 3, 1]);
}

let instances = 0;

export class TrainableOnnx {
  /** Trainable initializers, ONNX layout, by name. */
  readonly variables = new Map<string, tf.Variable>();
  /** BatchNorm running statistics (state, not trained by gradient). */
  readonly state = new Map<string, tf.Variable>();
  private readonly constants = new Map<string, tf.Tensor>();
  private readonly numeric = new Map<string, number[]>();
  private readonly nodes: { node: Node; attrs: Map<string, AttrValue> }[];
  readonly inputName: string;
  readonly outputName: string;

  private readonly stock: boolean;
  /** Conv output → the BatchNormalization that alone consumes it (folded when BatchNorm is frozen). */
  private readonly bnAfterConv = new Map<string, Node>();

  constructor(private readonly model: OnnxModel, opts: TrainableOptions = {}) {
    checkSupportedOps(model);
    this.stock = opts.gradients === 'stock';
    const g = model.graph!;
    this.nodes = (g.node ?? []).map((node) => ({ node, attrs: nodeAttributes(node) }));
    this.inputName = graphInputs(model)[0]!.name;
    this.outputName = opts.outputName ?? graphOutputs(model)[0]!.name;
    // tfjs variable names are global to the engine: make them unique per instance.
    const prefix = `onnx${++instances}`;
    const trainable = new Set<string>();
    const state = new Set<string>();
    for (const { node } of this.nodes) {
      const inp = node.input ?? [];
      if (node.op_type === 'Conv' || node.op_type === 'ConvTranspose') inp.slice(1, 3).forEach((n) => trainable.add(n));
      if (node.op_type === 'BatchNormalization') {
        inp.slice(1, 3).forEach((n) => trainable.add(n));
        inp.slice(3, 5).forEach((n) => state.add(n));
      }
    }
    // Frozen BatchNorm right after a Conv is folded into the convolution's weights and bias
    // (y = conv(x, w·a) + b): two full-size elementwise ops and their gradients fewer per layer.
    const consumers = new Map<string, number>();
    for (const { node } of this.nodes) for (const n of node.input ?? []) consumers.set(n, (consumers.get(n) ?? 0) + 1);
    const outputs = new Set([...graphOutputs(model).map((o) => o.name), this.outputName]);
    for (const { node } of this.nodes) {
      const src = node.input?.[0];
      if (node.op_type !== 'BatchNormalization' || !src || consumers.get(src) !== 1 || outputs.has(src)) continue;
      const conv = this.nodes.find((n) => n.node.op_type === 'Conv' && n.node.output?.[0] === src);
      if (conv) this.bnAfterConv.set(src, node);
    }
    for (const t of g.initializer ?? []) {
      const name = t.name ?? '';
      if ((t.data_type ?? 0) !== DataType.FLOAT) {
        this.numeric.set(name, initializerNumbers(t));
        continue;
      }
      const values = tensorToFloat32(t);
      const dims = tensorDims(t);
      this.numeric.set(name, dims.length <= 1 && values.length <= 8 ? Array.from(values) : []);
      if (trainable.has(name)) this.variables.set(name, tf.variable(tf.tensor(values, dims), true, `${prefix}/w/${name}`));
      else if (state.has(name)) this.state.set(name, tf.variable(tf.tensor(values, dims), false, `${prefix}/s/${name}`));
      else this.constants.set(name, tf.tensor(values, dims));
    }
  }

  static fromBytes(bytes: Uint8Array): TrainableOnnx {
    return new TrainableOnnx(readOnnx(bytes));
  }

  private tensorOf(name: string): tf.Tensor | undefined {
    return this.variables.get(name) ?? this.state.get(name) ?? this.constants.get(name);
  }

  /**
   * Runs the graph on `input` ([N, H, W, 1] NHWC, i.e. the ONNX [N, 1, H, W] image) and returns the
   * output NHWC ([N, H, W, classes]). Call inside tf.tidy / tf.variableGrads.
   */
  forward(input: tf.Tensor4D, opts: ForwardOptions = {}): tf.Tensor4D {
    const values = new Map<string, Value>([[this.inputName, { t: input, nhwc: true }]]);
    const read = (name: string): Value => {
      const v = values.get(name);
      if (v) return v;
      const c = this.tensorOf(name);
      if (!c) throw new Error(`value "${name}" is not computed before use`);
      return { t: c, nhwc: false };
    };
    const statUpdates: [tf.Variable, tf.Tensor, number][] = [];
    const folded = new Set<Node>();
    for (const { node, attrs } of this.nodes) {
      if (folded.has(node)) continue;
      const inp = node.input ?? [];
      const x = () => read(inp[0]!);
      let out: Value;
      switch (node.op_type) {
        case 'Conv': {
          const [kh, kw] = this.variables.get(inp[1]!)!.shape.slice(2) as [number, number];
          const strides = ints(attrs, 'strides', [1, 1]) as [number, number];
          const inT = x().t as tf.Tensor4D;
          const pads = convPads(attrs, inT.shape[1], inT.shape[2], kh, kw, strides);
          const spec: Conv2dSpec = { strides, pads };
          const w = tf.transpose(read(inp[1]!).t, [2, 3, 1, 0]) as tf.Tensor4D; // OIHW → HWIO
          // Stock: 'same' where it is the same padding (what the plain wasm filter-gradient fallback handles).
          const same = strides[0] === 1 && strides[1] === 1 && pads.every((p, i) => p === ((i % 2 === 0 ? kh : kw) - 1) / 2);
          const bn = this.stock || opts.batchStats ? undefined : this.bnAfterConv.get(node.output![0]!);
          if (bn) {
            // Folded frozen BatchNorm: a = γ / √(σ² + ε) per output channel (HWIO's last axis).
            const [scale, bias, mean, variance] = bn.input!.slice(1, 5).map((n) => read(n).t) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
            const a = tf.mul(scale, tf.rsqrt(tf.add(variance, floatAttr(nodeAttributes(bn), 'epsilon', 1e-5))));
            let b = tf.sub(bias, tf.mul(mean, a));
            if (inp[2]) b = tf.add(b, tf.mul(read(inp[2]).t, a));
            values.set(bn.output![0]!, { t: tf.add(conv2d(inT, tf.mul(w, a) as tf.Tensor4D, spec), b), nhwc: true });
            folded.add(bn);
            continue;
          }
          let y: tf.Tensor = this.stock ? tf.conv2d(inT, w, strides, same ? 'same' : [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]]) : conv2d(inT, w, spec);
          if (inp[2]) y = tf.add(y, read(inp[2]).t);
          out = { t: y, nhwc: true };
          break;
        }
        case 'ConvTranspose': {
          const xt = x().t as tf.Tensor4D, w = read(inp[1]!).t, b = inp[2] ? read(inp[2]).t : undefined;
          if (this.stock) {
            const [n, h, wd] = xt.shape;
            const y = tf.conv2dTranspose(xt, tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D, [n, 2 * h, 2 * wd, w.shape[1]!], 2, 'valid');
            out = { t: b ? tf.add(y, b) : y, nhwc: true };
          } else out = { t: convTranspose2x2(xt, w, b), nhwc: true };
          break;
        }
        case 'BatchNormalization': {
          const [scale, bias, mean, variance] = inp.slice(1, 5).map((n) => read(n).t) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          const eps = floatAttr(attrs, 'epsilon', 1e-5);
          const r = batchNorm(x().t as tf.Tensor4D, scale, bias, mean, variance, eps, opts.batchStats === true);
          if (r.mean && r.variance) {
            // ONNX momentum is the weight of the running value (PyTorch's is 1 − that).
            const momentum = floatAttr(attrs, 'momentum', 0.9);
            const n = r.y.shape[0] * r.y.shape[1] * r.y.shape[2];
            statUpdates.push([this.state.get(inp[3]!)!, r.mean, momentum]);
            statUpdates.push([this.state.get(inp[4]!)!, tf.mul(r.variance, n / Math.max(1, n - 1)), momentum]); // unbiased, as PyTorch
          }
          out = { t: r.y, nhwc: true };
          break;
        }
        case 'Relu': out = { t: tf.relu(x().t), nhwc: x().nhwc }; break;
        case 'Sigmoid': out = { t: tf.sigmoid(x().t), nhwc: x().nhwc }; break;
        case 'Identity': out = x(); break;
        case 'Add': case 'Mul': {
          const a = read(inp[0]!), b = read(inp[1]!);
          const nhwc = a.nhwc || b.nhwc;
          const at = nhwc && !a.nhwc ? toNhwcBroadcast(a.t) : a.t;
          const bt = nhwc && !b.nhwc ? toNhwcBroadcast(b.t) : b.t;
          out = { t: node.op_type === 'Add' ? tf.add(at, bt) : tf.mul(at, bt), nhwc };
          break;
        }
        case 'Softmax': {
          // Axis 1 / −3 (checked) is the channel axis: the last one in NHWC.
          const v = x();
          if (!v.nhwc) throw new Error(`Softmax on a non-activation value "${inp[0]}"`);
          out = { t: tf.softmax(v.t, -1), nhwc: true };
          break;
        }
        case 'Concat': {
          const parts = inp.map(read);
          if (!parts.every((p) => p.nhwc)) throw new Error(`Concat "${node.name}": only activations can be concatenated`);
          out = { t: tf.concat(parts.map((p) => p.t), 3), nhwc: true };
          break;
        }
        case 'MaxPool':
          out = { t: tf.maxPool(x().t as tf.Tensor4D, 2, 2, 'valid'), nhwc: true };
          break;
        case 'Resize':
          out = { t: this.resize(x().t as tf.Tensor4D, inp, attrs), nhwc: true };
          break;
        default:
          throw new Error(`operator ${node.op_type} not implemented (SUPPORTED_OPS and the interpreter disagree)`);
      }
      values.set(node.output![0]!, out);
    }
    for (const [v, batch, momentum] of statUpdates) {
      v.assign(tf.add(tf.mul(v, momentum), tf.mul(batch, 1 - momentum)));
    }
    const result = read(this.outputName);
    if (!result.nhwc) throw new Error(`output "${this.outputName}" is not a 4D activation`);
    return result.t as tf.Tensor4D;
  }

  private resize(x: tf.Tensor4D, inp: string[], attrs: Map<string, AttrValue>): tf.Tensor4D {
    const [, h, w] = x.shape;
    const { oh, ow, sh, sw, axis } = resizeGeometry(h, w, inp, attrs, this.numeric);
    const rows = tf.tensor2d(resizeMatrix(h, oh, sh, axis), [oh, h]);
    const cols = tf.tensor2d(resizeMatrix(w, ow, sw, axis), [ow, w]);
    return resizeSeparable(x, rows, cols);
  }

  /** Float32 copies of trainable variables (and, with `state`, the BatchNorm statistics), by name. */
  weights(withState = true): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [n, v] of this.variables) out.set(n, v.dataSync() as Float32Array);
    if (withState) for (const [n, v] of this.state) out.set(n, v.dataSync() as Float32Array);
    return out;
  }

  setWeights(weights: Map<string, Float32Array>): void {
    for (const [n, data] of weights) {
      const v = this.variables.get(n) ?? this.state.get(n);
      if (!v) throw new Error(`no variable "${n}"`);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
    }
  }

  /** A new ONNX model: the original with the current variables (and BN statistics) as initializers. */
  toOnnx(): OnnxModel {
    const copy = readOnnx(writeOnnx(this.model));
    for (const [n, data] of this.weights(true)) setFloat32Initializer(copy, n, data);
    return copy;
  }

  toBytes(): Buffer {
    return writeOnnx(this.toOnnx());
  }

  dispose(): void {
    for (const m of [this.variables, this.state, this.constants] as Map<string, tf.Tensor>[]) for (const t of m.values()) t.dispose();
  }
}
