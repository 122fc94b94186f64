import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelCardError, parseModelCard, type ModelCard } from './model-card.js';
import { graphInputs, graphOutputs, readOnnx, tensorDims, type Dim, type IoInfo } from './onnx/onnx-io.js';
import { DataLocation, DataType, int64ToNumber, type OnnxModel } from './onnx/onnx-types.js';
import { checkSupportedOps, UnsupportedModelError } from './onnx/supported-ops.js';

/**
 * A model package (DESIGN §5) is `model.onnx` + `model.json` (the model card). Loading checks that the
 * two agree — input size, channel counts, names — and that the graph only uses what the learning
 * engine can fine-tune, so a bad package fails at import with a message naming the field or node,
 * not at night in the fine-tune or as a silently wrong segmentation.
 */
export class ModelPackageError extends Error {
  /** The card field (`labels`, `input.size`), `node "conv7"`, or the file (`model.onnx`). */
  constructor(message: string, readonly field: string) {
    super(message);
    this.name = 'ModelPackageError';
  }
}

export interface ModelPackage {
  card: ModelCard;
  onnx: Buffer;
  /** Lowercase hex SHA-256 of model.onnx: the generation's identity (card.parentHash refers to it). */
  sha256: string;
  inputName: string;
  outputName: string;
  /** The input's declared shape, e.g. ['N', 1, 256, 256] (null = unknown dimension). */
  inputShape: Dim[];
  /** labels.length + 1. */
  outputChannels: number;
  /** The decoded model (raw_data are views into `onnx`). */
  model: OnnxModel;
}

/** A package directory, or the two files' contents (card: parsed JSON, or JSON text / bytes). */
export type ModelPackageSource = string | { onnx: Uint8Array; card: unknown };

export async function loadModelPackage(source: ModelPackageSource): Promise<ModelPackage> {
  if (typeof source !== 'string') return validateModelPackage(source.onnx, source.card);
  const read = async (file: string): Promise<Buffer> => {
    try {
      return await readFile(join(source, file));
    } catch (e) {
      throw new ModelPackageError(`${file}: cannot read ${join(source, file)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
    }
  };
  const [onnx, card] = await Promise.all([read('model.onnx'), read('model.json')]);
  return validateModelPackage(onnx, card);
}

function parseCard(card: unknown): ModelCard {
  let json = card;
  if (typeof card === 'string' || card instanceof Uint8Array) {
    try {
      json = JSON.parse(typeof card === 'string' ? card : Buffer.from(card).toString('utf8'));
    } catch (e) {
      throw new ModelPackageError(`model.json: not valid JSON (${(e as Error).message})`, 'model.json');
    }
  }
  try {
    return parseModelCard(json);
  } catch (e) {
    if (e instanceof ModelCardError) throw new ModelPackageError(e.message, e.field);
    throw e;
  }
}

const typeName = (t: number) => Object.entries(DataType).find(([, v]) => v === t)?.[0] ?? `type ${t}`;
const shapeText = (s: Dim[] | null) => (s ? `[${s.map((d) => d ?? '?').join(',')}]` : '(undeclared)');
const fail = (message: string, field: string): never => {
  throw new ModelPackageError(`model.onnx: ${message}`, field);
};

function pickIo(list: IoInfo[], wanted: string | undefined, kind: 'input' | 'output'): IoInfo {
  const names = list.map((v) => v.name).join(', ') || 'none';
  if (wanted !== undefined) {
    return list.find((v) => v.name === wanted) ?? fail(`${kind} "${wanted}" (model.json input.${kind}Name) does not exist (${kind}s: ${names})`, `input.${kind}Name`);
  }
  return list[0] ?? fail(`the graph has no ${kind}`, `graph.${kind}`);
}

/**
 * The channel count of `value`: declared on its value_info, or followed back through the producing
 * nodes to the Conv / ConvTranspose / Concat that sets it. null when it cannot be told statically.
 */
function channelsOf(model: OnnxModel, value: string, depth = 0): number | null {
  const g = model.graph!;
  const declared = [...(g.value_info ?? []), ...(g.output ?? [])].find((v) => v.name === value)?.type?.tensor_type?.shape?.dim?.[1];
  if (declared && Object.prototype.hasOwnProperty.call(declared, 'dim_value')) return int64ToNumber(declared.dim_value);
  const node = (g.node ?? []).find((n) => n.output?.includes(value));
  if (!node || depth > 1000) return null;
  const inputs = node.input ?? [];
  const weight = () => g.initializer?.find((t) => t.name === inputs[1]);
  switch (node.op_type) {
    case 'Conv': { const w = weight(); return w ? tensorDims(w)[0] ?? null : null; }
    case 'ConvTranspose': { const w = weight(); return w ? tensorDims(w)[1] ?? null : null; } // group 1 (checked)
    case 'Concat': {
      const parts = inputs.map((i) => channelsOf(model, i, depth + 1));
      return parts.every((p): p is number => p !== null) ? parts.reduce((a, b) => a + b, 0) : null;
    }
    case 'Add': case 'Mul': return channelsOf(model, inputs[0]!, depth + 1) ?? channelsOf(model, inputs[1]!, depth + 1);
    default: return inputs[0] ? channelsOf(model, inputs[0], depth + 1) : null; // channel-preserving ops
  }
}

/** Validates a package given the bytes of model.onnx and the card (see ModelPackageSource). */
export function validateModelPackage(onnxBytes: Uint8Array, cardSource: unknown): ModelPackage {
  const card = parseCard(cardSource);
  const onnx = Buffer.isBuffer(onnxBytes) ? onnxBytes : Buffer.from(onnxBytes.buffer, onnxBytes.byteOffset, onnxBytes.byteLength);
  let model: OnnxModel;
  try {
    model = readOnnx(onnx);
  } catch (e) {
    return fail((e as Error).message, 'model.onnx');
  }

  for (const t of model.graph!.initializer ?? []) {
    if (t.data_location === DataLocation.EXTERNAL) fail(`initializer "${t.name}" uses external data (a package must be self-contained)`, `initializer "${t.name}"`);
  }

  // Operators first: channel counts are derived by walking supported operators only.
  try {
    checkSupportedOps(model);
  } catch (e) {
    if (!(e instanceof UnsupportedModelError)) throw e;
    fail(e.message, e.node === 'opset_import' ? 'opset_import' : `node "${e.node}"`);
  }

  const inputs = graphInputs(model);
  const input = pickIo(inputs, card.input.inputName, 'input');
  if (inputs.length !== 1) fail(`expected one graph input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`, 'graph.input');
  if (input.elemType !== DataType.FLOAT) fail(`input "${input.name}" is ${typeName(input.elemType)}, expected FLOAT (float32)`, 'graph.input');
  const shape = input.shape;
  if (!shape || shape.length !== 4) fail(`input "${input.name}" has shape ${shapeText(shape)}, expected [N,1,H,W]`, 'graph.input');
  const [n, c, h, w] = shape!;
  if (typeof c === 'number' && c !== 1) fail(`input "${input.name}" has ${c} channels, expected 1 (shape ${shapeText(shape)})`, 'graph.input');
  const [rows, cols] = card.input.size;
  if ((typeof h === 'number' && h !== rows) || (typeof w === 'number' && w !== cols)) {
    fail(`input "${input.name}" is ${shapeText([h!, w!])} but model.json input.size is [${rows},${cols}]`, 'input.size');
  }
  if (typeof n === 'number' && n !== card.input.batchSize) {
    fail(`input "${input.name}" has a fixed batch of ${n} but model.json input.batchSize is ${card.input.batchSize}`, 'input.batchSize');
  }

  const output = pickIo(graphOutputs(model), card.input.outputName, 'output');
  if (output.elemType !== DataType.FLOAT) fail(`output "${output.name}" is ${typeName(output.elemType)}, expected FLOAT (float32)`, 'graph.output');
  if (output.shape && output.shape.length !== 4) fail(`output "${output.name}" has shape ${shapeText(output.shape)}, expected [N,C,H,W]`, 'graph.output');
  const channels = channelsOf(model, output.name);
  const wanted = card.labels.length + 1;
  if (channels === null) fail(`cannot tell the channel count of output "${output.name}" (declare its shape)`, 'graph.output');
  if (channels !== wanted) {
    fail(`output "${output.name}" has ${channels} channels but model.json has ${card.labels.length} labels (needs ${wanted}: background + labels)`, 'labels');
  }

  const sha256 = createHash('sha256').update(onnx).digest('hex');
  return { card, onnx, sha256, inputName: input.name, outputName: output.name, inputShape: shape!, outputChannels: wanted, model };
}
