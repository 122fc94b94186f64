import { endianness } from 'node:os';
import protobuf from 'protobufjs';
import { onnxTypes } from './onnx-schema.js';
import { DataLocation, DataType, has, int64ToNumber, type Graph, type OnnxModel, type Tensor, type ValueInfo } from './onnx-types.js';

export class OnnxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxFormatError';
  }
}

/**
 * Decodes a ModelProto. Bytes fields (raw_data) are views into `bytes`: do not reuse the buffer while
 * the model is alive. Unknown fields (a newer IR) are kept and written back by writeOnnx, after the
 * known fields of their message.
 */
export function readOnnx(bytes: Uint8Array): OnnxModel {
  const reader = protobuf.Reader.create(bytes);
  reader.discardUnknown = false;
  let model: OnnxModel;
  try {
    model = onnxTypes.ModelProto.decode(reader) as unknown as OnnxModel;
  } catch (e) {
    throw new OnnxFormatError(`not an ONNX model (protobuf decoding failed: ${(e as Error).message})`);
  }
  // Any byte string decodes as *some* protobuf; a model without ir_version or graph is not ONNX.
  if (!has(model, 'ir_version') || !has(model, 'graph')) {
    throw new OnnxFormatError('not an ONNX model (no ir_version or graph)');
  }
  return model;
}

/** Encodes a ModelProto (fields in field-number order, as protoc-built writers do). */
export function writeOnnx(model: OnnxModel): Buffer {
  const bytes = onnxTypes.ModelProto.encode(model as protobuf.Message).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Tensors

export function tensorDims(t: Tensor): number[] {
  return (t.dims ?? []).map(int64ToNumber);
}

function elementCount(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1); // a scalar (dims []) has one element
}

const littleEndianHost = endianness() === 'LE';

/** Copies little-endian float32 bytes (raw_data is always little-endian, IR spec) into a new array. */
function floatsFromLE(raw: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(raw.subarray(0, count * 4)); // copy: raw may be unaligned
  } else {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

function floatsToLE(data: Float32Array): Buffer {
  const out = Buffer.alloc(data.length * 4);
  if (littleEndianHost) out.set(new Uint8Array(data.buffer, data.byteOffset, data.length * 4));
  else for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i]!, i * 4);
  return out;
}

/** The values of a FLOAT tensor, from raw_data or float_data (a copy). */
export function tensorToFloat32(t: Tensor): Float32Array {
  const name = t.name ?? '(unnamed)';
  if ((t.data_type ?? 0) !== DataType.FLOAT) throw new OnnxFormatError(`tensor "${name}": data_type ${t.data_type ?? 0} is not FLOAT`);
  if (t.data_location === DataLocation.EXTERNAL) throw new OnnxFormatError(`tensor "${name}": external data is not supported`);
  const count = elementCount(tensorDims(t));
  if (t.raw_data !== undefined && t.raw_data.length > 0) {
    if (t.raw_data.length !== count * 4) throw new OnnxFormatError(`tensor "${name}": raw_data has ${t.raw_data.length} bytes, dims need ${count * 4}`);
    return floatsFromLE(t.raw_data, count);
  }
  const values = t.float_data ?? [];
  if (values.length !== count) throw new OnnxFormatError(`tensor "${name}": float_data has ${values.length} values, dims need ${count}`);
  return Float32Array.from(values);
}

/** A FLOAT tensor holding `data` as raw_data (the compact form ORT and PyTorch write). */
export function float32Tensor(name: string, dims: readonly number[], data: Float32Array | readonly number[]): Tensor {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  if (values.length !== elementCount([...dims])) throw new RangeError(`tensor "${name}": ${values.length} values for dims [${dims.join(',')}]`);
  return { name, dims: [...dims], data_type: DataType.FLOAT, raw_data: floatsToLE(values) };
}

/** A tensor of int64 values (e.g. Resize sizes, Reshape shapes), stored as int64_data. */
export function int64Tensor(name: string, dims: readonly number[], data: readonly number[]): Tensor {
  return { name, dims: [...dims], data_type: DataType.INT64, int64_data: [...data] };
}

// ---------------------------------------------------------------------------------------------
// Initializers (the weights that fine-tuning updates and federation exchanges, DESIGN §5)

function graphOf(model: OnnxModel): Graph {
  if (!model.graph) throw new OnnxFormatError('model has no graph');
  return model.graph;
}

export function getInitializer(model: OnnxModel, name: string): Tensor | undefined {
  return graphOf(model).initializer?.find((t) => t.name === name);
}

export function getFloat32Initializer(model: OnnxModel, name: string): Float32Array {
  const t = getInitializer(model, name);
  if (!t) throw new OnnxFormatError(`no initializer "${name}"`);
  return tensorToFloat32(t);
}

/**
 * Replaces an initializer's values in place, keeping its name, dims, doc_string and storage form
 * (raw_data stays raw_data, float_data stays float_data) so a weight update changes nothing else.
 */
export function setFloat32Initializer(model: OnnxModel, name: string, data: Float32Array): void {
  const t = getInitializer(model, name);
  if (!t) throw new OnnxFormatError(`no initializer "${name}"`);
  const count = elementCount(tensorDims(t));
  if ((t.data_type ?? 0) !== DataType.FLOAT) throw new OnnxFormatError(`initializer "${name}" is not FLOAT`);
  if (t.data_location === DataLocation.EXTERNAL) throw new OnnxFormatError(`initializer "${name}": external data is not supported`);
  if (data.length !== count) throw new RangeError(`initializer "${name}" has ${count} values, got ${data.length}`);
  if (t.float_data !== undefined && t.float_data.length > 0 && (t.raw_data === undefined || t.raw_data.length === 0)) {
    t.float_data = Array.from(data);
  } else {
    t.raw_data = floatsToLE(data);
  }
}

/** Name, dims and element type of every initializer, in file order. */
export function listInitializers(model: OnnxModel): { name: string; dims: number[]; dataType: number }[] {
  return (graphOf(model).initializer ?? []).map((t) => ({ name: t.name ?? '', dims: tensorDims(t), dataType: t.data_type ?? 0 }));
}

// ---------------------------------------------------------------------------------------------
// Graph inputs / outputs

/** A dimension: a number (dim_value), a symbol such as 'N' (dim_param), or null (unknown). */
export type Dim = number | string | null;

export interface IoInfo {
  name: string;
  /** TensorProto.DataType of a tensor value; 0 when not a tensor. */
  elemType: number;
  /** null when the shape (even its rank) is not declared. */
  shape: Dim[] | null;
}

function ioInfo(v: ValueInfo): IoInfo {
  const tt = v.type?.tensor_type;
  const shape = tt?.shape?.dim?.map((d): Dim => (has(d, 'dim_value') ? int64ToNumber(d.dim_value) : has(d, 'dim_param') && d.dim_param !== '' ? d.dim_param! : null));
  return { name: v.name ?? '', elemType: tt?.elem_type ?? 0, shape: tt?.shape ? shape ?? [] : null };
}

/**
 * The graph's real inputs. Since IR version 4 an initializer may also be listed as a graph input
 * (as an overridable default, IR spec "Graphs"); those are not inputs a caller has to feed.
 */
export function graphInputs(model: OnnxModel): IoInfo[] {
  const g = graphOf(model);
  const init = new Set((g.initializer ?? []).map((t) => t.name));
  return (g.input ?? []).filter((v) => !init.has(v.name)).map(ioInfo);
}

export function graphOutputs(model: OnnxModel): IoInfo[] {
  return (graphOf(model).output ?? []).map(ioInfo);
}

/** The imported opset version of a domain ('' = ai.onnx), or undefined when not imported. */
export function opsetVersion(model: OnnxModel, domain = ''): number | undefined {
  const norm = (d: string | undefined) => (d === 'ai.onnx' ? '' : d ?? '');
  const entry = model.opset_import?.find((o) => norm(o.domain) === norm(domain));
  return entry ? int64ToNumber(entry.version) : undefined;
}
