import { makeAttribute, type AttrInput } from './attributes.js';
import { float32Tensor } from './onnx-io.js';
import { DataType, type Dimension, type Graph, type Node, type OnnxModel, type Tensor, type ValueInfo } from './onnx-types.js';

/** A declared dimension: a number is fixed (dim_value), a string is symbolic (dim_param, e.g. 'N'). */
export type DimSpec = number | string;

/**
 * The ai.onnx opset the builder targets. Opset 17 belongs to IR version 8 (ONNX 1.12; IR spec
 * "Released Versions"), which every runtime we care about loads.
 */
export const BUILDER_OPSET = 17;
export const BUILDER_IR_VERSION = 8;

export interface BuildOptions {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  modelVersion?: number;
  /** ModelProto.metadata_props (free-form key/value pairs). */
  metadata?: Record<string, string>;
}

function valueInfo(name: string, shape: readonly DimSpec[], elemType: number): ValueInfo {
  const dim = shape.map((d): Dimension => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim } } } };
}

/**
 * A small imperative builder for ONNX graphs: declare inputs, add initializers and nodes (the IR
 * requires nodes in topological order — add them in execution order), declare outputs, build.
 *
 *   const b = new GraphBuilder('demo');
 *   const x = b.input('image', ['N', 1, 'H', 'W']);
 *   const w = b.initializer('w', [4, 1, 1, 1], weights);
 *   const y = b.node('Conv', [x, w], { kernel_shape: [1, 1] });
 *   b.output(b.node('Relu', [y], {}, { outputs: ['out'] }), ['N', 4, 'H', 'W']);
 *   const model = b.build();
 */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly initializers: Tensor[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly names = new Set<string>();
  private readonly opCounts = new Map<string, number>();

  constructor(readonly graphName: string, readonly opset = BUILDER_OPSET) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`GraphBuilder: value name "${name}" used twice`);
    this.names.add(name);
    return name;
  }

  /** Declares a graph input; returns its name. */
  input(name: string, shape: readonly DimSpec[], elemType: number = DataType.FLOAT): string {
    this.inputs.push(valueInfo(this.claim(name), shape, elemType));
    return name;
  }

  /** Declares an existing value as a graph output. */
  output(name: string, shape: readonly DimSpec[], elemType: number = DataType.FLOAT): string {
    if (!this.names.has(name)) throw new Error(`GraphBuilder: output "${name}" is not produced by any node`);
    this.outputs.push(valueInfo(name, shape, elemType));
    return name;
  }

  /** Adds a float32 initializer (stored as little-endian raw_data); returns its name. */
  initializer(name: string, dims: readonly number[], data: Float32Array | readonly number[]): string {
    return this.tensor(float32Tensor(name, dims, data));
  }

  /** Adds any TensorProto as an initializer; returns its name. */
  tensor(t: Tensor): string {
    if (!t.name) throw new Error('GraphBuilder: an initializer needs a name');
    this.claim(t.name);
    this.initializers.push(t);
    return t.name;
  }

  /**
   * Adds a node and returns its (first) output name. Node names default to the op type in lower case
   * plus a counter (`conv1`, `conv2`, ...), outputs to `<node name>_out<i>`. An empty string in
   * `inputs` is an omitted optional input (IR spec "Optional Inputs and Outputs").
   */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrInput> = {}, opts: { name?: string; outputs?: readonly string[] } = {}): string {
    for (const i of inputs) if (i !== '' && !this.names.has(i)) throw new Error(`GraphBuilder: ${opType} input "${i}" is not defined yet`);
    const count = (this.opCounts.get(opType) ?? 0) + 1;
    this.opCounts.set(opType, count);
    const name = opts.name ?? `${opType.toLowerCase()}${count}`;
    const outputs = (opts.outputs ?? [`${name}_out0`]).map((o) => this.claim(o));
    const attribute = Object.entries(attrs).map(([k, v]) => makeAttribute(k, v));
    const node: Node = { input: [...inputs], output: outputs, name, op_type: opType };
    if (attribute.length > 0) node.attribute = attribute;
    this.nodes.push(node);
    return outputs[0]!;
  }

  build(options: BuildOptions = {}): OnnxModel {
    if (this.inputs.length === 0 || this.outputs.length === 0) throw new Error('GraphBuilder: declare at least one input and one output');
    const graph: Graph = { node: this.nodes, name: this.graphName, initializer: this.initializers, input: this.inputs, output: this.outputs };
    const model: OnnxModel = {
      ir_version: BUILDER_IR_VERSION,
      producer_name: options.producerName ?? 'dafne-node',
      graph,
      opset_import: [{ domain: '', version: this.opset }],
    };
    if (options.producerVersion !== undefined) model.producer_version = options.producerVersion;
    if (options.docString !== undefined) model.doc_string = options.docString;
    if (options.modelVersion !== undefined) model.model_version = options.modelVersion;
    if (options.metadata) model.metadata_props = Object.entries(options.metadata).map(([key, value]) => ({ key, value }));
    return model;
  }
}
