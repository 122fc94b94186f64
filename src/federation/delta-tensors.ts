import { getFloat32Initializer, listInitializers, readOnnx, setFloat32Initializer, writeOnnx } from '../inference/onnx/onnx-io.js';
import { DataType, type OnnxModel } from '../inference/onnx/onnx-types.js';

/** A named float32 tensor of a model (an initializer), in file order. */
export interface NamedTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

export class IncompatibleModelsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompatibleModelsError';
  }
}

/** The FLOAT initializers (the weights fine-tuning changes and federation exchanges), in file order. */
export function floatInitializers(model: OnnxModel): NamedTensor[] {
  return listInitializers(model)
    .filter((t) => t.dataType === DataType.FLOAT)
    .map((t) => ({ name: t.name, dims: t.dims, data: getFloat32Initializer(model, t.name) }));
}

const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * updated − base for every FLOAT initializer. The two models must have the same initializers (names,
 * dims, types) and identical non-float ones (shapes, axes): a delta only makes sense within one
 * architecture, and a changed int64 initializer would be a different graph.
 */
export function diffInitializers(base: OnnxModel, updated: OnnxModel): NamedTensor[] {
  const b = listInitializers(base), u = listInitializers(updated);
  const byName = new Map(u.map((t) => [t.name, t]));
  if (b.length !== u.length) throw new IncompatibleModelsError(`the models have ${b.length} and ${u.length} initializers`);
  const out: NamedTensor[] = [];
  for (const t of b) {
    const v = byName.get(t.name);
    if (!v) throw new IncompatibleModelsError(`initializer "${t.name}" is missing from the updated model`);
    if (v.dataType !== t.dataType || !sameDims(v.dims, t.dims)) throw new IncompatibleModelsError(`initializer "${t.name}" changed type or dims`);
    if (t.dataType !== DataType.FLOAT) continue;
    const x = getFloat32Initializer(base, t.name), y = getFloat32Initializer(updated, t.name);
    const d = new Float32Array(x.length);
    for (let i = 0; i < d.length; i++) d[i] = y[i]! - x[i]!;
    out.push({ name: t.name, dims: t.dims, data: d });
  }
  return out;
}

/** Checks that every delta tensor names a FLOAT initializer of `model` with the same number of values. */
export function checkFits(model: OnnxModel, tensors: ReadonlyMap<string, Float32Array>): void {
  const table = new Map(listInitializers(model).map((t) => [t.name, t]));
  for (const [name, data] of tensors) {
    const t = table.get(name);
    if (!t || t.dataType !== DataType.FLOAT) throw new IncompatibleModelsError(`delta tensor "${name}" is not a FLOAT initializer of the model`);
    const n = t.dims.reduce((a, c) => a * c, 1);
    if (n !== data.length) throw new IncompatibleModelsError(`delta tensor "${name}" has ${data.length} values, the model's has ${n}`);
  }
}

/** base + scale·delta on a decoded model, in place (float32 arithmetic, as the runtime stores weights). */
export function addToModel(model: OnnxModel, tensors: ReadonlyMap<string, Float32Array>, scale = 1): void {
  checkFits(model, tensors);
  for (const [name, d] of tensors) {
    const w = getFloat32Initializer(model, name);
    for (let i = 0; i < w.length; i++) w[i] = w[i]! + scale * d[i]!;
    setFloat32Initializer(model, name, w);
  }
}

export function addToOnnx(onnx: Uint8Array, tensors: ReadonlyMap<string, Float32Array>, scale = 1): Buffer {
  const model = readOnnx(onnx);
  addToModel(model, tensors, scale);
  return writeOnnx(model);
}

/**
 * Initializers that are BatchNormalization running statistics (inputs 3 = mean and 4 = var): they
 * are estimates of activation moments, not trained weights, so the merge treats them apart
 * (docs/federation.md "Merge").
 */
export function batchNormStats(model: OnnxModel): { means: Set<string>; vars: Set<string> } {
  const means = new Set<string>(), vars = new Set<string>();
  for (const node of model.graph?.node ?? []) {
    if (node.op_type !== 'BatchNormalization') continue;
    const inputs = node.input ?? [];
    if (inputs[3]) means.add(inputs[3]);
    if (inputs[4]) vars.add(inputs[4]);
  }
  return { means, vars };
}
