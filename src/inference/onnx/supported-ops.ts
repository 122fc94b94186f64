import { formatAttr, nodeAttributes, type AttrValue } from './attributes.js';
import { opsetVersion, tensorDims } from './onnx-io.js';
import type { Node, OnnxModel } from './onnx-types.js';

/**
 * The operators and attribute forms the learning engine (the tfjs interpreter of learning/, engine
 * notes "Trainable ONNX") implements, and that a model package may therefore use. Rejecting anything
 * else when a model is imported beats failing in the nightly fine-tune (engine notes, "Pitfalls").
 * Semantics follow the ONNX operator docs (Operators.md) for ai.onnx opsets SUPPORTED_OPSET.
 */
export const SUPPORTED_OPSET = { min: 13, max: 23 } as const;

/** Checks one attribute value; returns why it is not supported, or null. */
type AttrCheck = (v: AttrValue) => string | null;

export interface OpSupport {
  /** What the engine implements, for docs and error messages. */
  readonly summary: string;
  /** Allowed attributes; any other attribute is rejected. */
  readonly attributes: Readonly<Record<string, AttrCheck>>;
  /** Checks that need the attributes together or the node (absent attributes take ONNX defaults). */
  readonly check?: (attrs: Map<string, AttrValue>, node: Node, model: OnnxModel) => string | null;
  readonly maxOutputs?: number;
}

const any: AttrCheck = () => null;
const ints = (v: AttrValue): number[] | null => (v.kind === 'ints' ? v.value : null);
const str = (v: AttrValue): string | null => (v.kind === 'string' ? v.value : null);
const int = (v: AttrValue): number | null => (v.kind === 'int' ? v.value : null);

const allEqual = (want: number, what = `only ${want}`): AttrCheck => (v) => {
  const a = ints(v);
  return a !== null && a.every((x) => x === want) ? null : `${formatAttr(v)} not supported (${what})`;
};
const exactly = (want: readonly number[]): AttrCheck => (v) => {
  const a = ints(v);
  return a !== null && a.length === want.length && a.every((x, i) => x === want[i]) ? null : `${formatAttr(v)} not supported (only [${want.join(',')}])`;
};
const intIs = (...allowed: number[]): AttrCheck => (v) => (allowed.includes(int(v) ?? NaN) ? null : `${formatAttr(v)} not supported (only ${allowed.join(' or ')})`);
const oneOf = (...allowed: string[]): AttrCheck => (v) => (allowed.includes(str(v) ?? '\0') ? null : `${formatAttr(v)} not supported (only ${allowed.join(', ')})`);
const isFloat: AttrCheck = (v) => (v.kind === 'float' ? null : `${formatAttr(v)} is not a float`);
const positiveInts: AttrCheck = (v) => (ints(v)?.every((x) => x >= 1) ? null : `${formatAttr(v)} not supported`);
const kernel2d: AttrCheck = (v) => (ints(v)?.length === 2 ? null : `${formatAttr(v)} not supported (2D kernels only)`);

/** The weight initializer's dims, when input `index` is an initializer. */
function weightDims(node: Node, model: OnnxModel, index: number): number[] | null {
  const name = node.input?.[index];
  const t = model.graph?.initializer?.find((i) => i.name === name);
  return t ? tensorDims(t) : null;
}

export const SUPPORTED_OPS: Readonly<Record<string, OpSupport>> = {
  Conv: {
    summary: '2D, group 1, dilations 1, symmetric pads or auto_pad SAME_UPPER / VALID, any strides',
    attributes: {
      kernel_shape: kernel2d, strides: positiveInts, dilations: allEqual(1), group: intIs(1),
      // tfjs 'same' is ONNX SAME_UPPER (extra padding at the end); SAME_LOWER has no tfjs equivalent.
      auto_pad: oneOf('NOTSET', 'SAME_UPPER', 'VALID'),
      // pads are [x1_begin, x2_begin, x1_end, x2_end]; tfjs takes one explicit pad per axis.
      pads: (v) => {
        const p = ints(v);
        return p !== null && p.length === 4 && p[0] === p[2] && p[1] === p[3] && p.every((x) => x >= 0) ? null : `${formatAttr(v)} not supported (symmetric pads only)`;
      },
    },
    check: (attrs, node, model) => {
      const dims = weightDims(node, model, 1);
      if (dims && dims.length !== 4) return `weight rank ${dims.length} not supported (2D only)`;
      const autoPad = attrs.get('auto_pad');
      if (autoPad && str(autoPad) !== 'NOTSET' && attrs.has('pads')) return 'pads together with auto_pad not allowed';
      return null;
    },
  },
  ConvTranspose: {
    summary: '2×2 kernel, stride 2, no padding, output_padding or output_shape, group 1, dilations 1',
    attributes: {
      kernel_shape: exactly([2, 2]), strides: exactly([2, 2]), pads: allEqual(0, 'no padding'),
      dilations: allEqual(1), group: intIs(1), output_padding: allEqual(0, 'no output_padding'),
      // With kernel 2 and stride 2 the total padding is 0 under every auto_pad mode.
      auto_pad: oneOf('NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'),
    },
    check: (attrs, node, model) => {
      const dims = weightDims(node, model, 1);
      if (dims && (dims.length !== 4 || dims[2] !== 2 || dims[3] !== 2)) return `weight dims [${dims.join(',')}] not supported (2×2 kernels only)`;
      return attrs.has('strides') ? null : 'strides [1,1] (default) not supported (only [2,2])';
    },
  },
  MaxPool: {
    summary: '2×2 kernel, stride 2, no padding, ceil_mode 0, one output',
    attributes: {
      kernel_shape: exactly([2, 2]), strides: exactly([2, 2]), pads: allEqual(0, 'no padding'),
      dilations: allEqual(1), ceil_mode: intIs(0), storage_order: intIs(0), auto_pad: oneOf('NOTSET', 'VALID'),
    },
    check: (attrs) => (attrs.has('strides') ? null : 'strides [1,1] (default) not supported (only [2,2])'),
    maxOutputs: 1,
  },
  BatchNormalization: {
    summary: 'inference form (training_mode 0), one output; epsilon and momentum as given',
    attributes: { epsilon: isFloat, momentum: isFloat, training_mode: intIs(0) },
    maxOutputs: 1,
  },
  Relu: { summary: 'no attributes', attributes: {} },
  Sigmoid: { summary: 'no attributes', attributes: {} },
  Identity: { summary: 'no attributes', attributes: {} },
  Add: { summary: 'numpy broadcasting (opset ≥ 7 form)', attributes: {} },
  Mul: { summary: 'numpy broadcasting (opset ≥ 7 form)', attributes: {} },
  Softmax: {
    summary: 'over the channel axis (axis 1 or -3, given explicitly: the opset-13 default is -1)',
    attributes: { axis: intIs(1, -3) },
    check: (attrs) => (attrs.has('axis') ? null : 'axis -1 (default) not supported (only 1 or -3, the channel axis)'),
  },
  Concat: { summary: 'on the channel axis (1 or -3)', attributes: { axis: intIs(1, -3) } },
  Resize: {
    summary: 'spatial axes; nearest with asymmetric+floor, half_pixel+round_prefer_ceil or align_corners+round_prefer_ceil (the tfjs resizeNearestNeighbor forms); linear with asymmetric, half_pixel, pytorch_half_pixel or align_corners; no antialias',
    attributes: {
      mode: oneOf('nearest', 'linear'),
      coordinate_transformation_mode: oneOf('asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners'),
      nearest_mode: any, // checked with mode below
      antialias: intIs(0), exclude_outside: intIs(0), keep_aspect_ratio_policy: oneOf('stretch'),
      axes: (v) => (ints(v)?.length === 2 && [[2, 3], [-2, -1]].some((a) => a[0] === ints(v)![0] && a[1] === ints(v)![1]) ? null : `${formatAttr(v)} not supported (only [2,3])`),
      cubic_coeff_a: any, extrapolation_value: any, // only used by modes we reject
    },
    check: (attrs) => {
      // Operators.md defaults: mode nearest, half_pixel, round_prefer_floor.
      const mode = str(attrs.get('mode') ?? { kind: 'string', value: 'nearest' });
      const coord = str(attrs.get('coordinate_transformation_mode') ?? { kind: 'string', value: 'half_pixel' });
      const nearest = str(attrs.get('nearest_mode') ?? { kind: 'string', value: 'round_prefer_floor' });
      if (mode !== 'nearest') return null;
      const ok = (coord === 'asymmetric' && nearest === 'floor') || ((coord === 'half_pixel' || coord === 'align_corners') && nearest === 'round_prefer_ceil');
      return ok ? null : `nearest with coordinate_transformation_mode ${coord} and nearest_mode ${nearest} not supported (asymmetric+floor, half_pixel+round_prefer_ceil, align_corners+round_prefer_ceil)`;
    },
    maxOutputs: 1,
  },
};

export class UnsupportedModelError extends Error {
  /** The node's name (or `#index` when it has none), or 'opset_import'. */
  constructor(message: string, readonly node: string, readonly opType?: string) {
    super(message);
    this.name = 'UnsupportedModelError';
  }
}

/** Throws UnsupportedModelError naming the first node (or the opset) the learning engine cannot run. */
export function checkSupportedOps(model: OnnxModel): void {
  const version = opsetVersion(model, '');
  if (version === undefined || version < SUPPORTED_OPSET.min || version > SUPPORTED_OPSET.max) {
    throw new UnsupportedModelError(`opset_import: ai.onnx version ${version ?? '(none)'} not supported (${SUPPORTED_OPSET.min}..${SUPPORTED_OPSET.max})`, 'opset_import');
  }
  (model.graph?.node ?? []).forEach((node, index) => {
    const op = node.op_type ?? '';
    const id = node.name ? node.name : `#${index}`;
    const fail = (what: string): never => {
      throw new UnsupportedModelError(`node "${id}" (${op}): ${what}`, id, op);
    };
    const domain = node.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx') fail(`domain "${domain}" not supported (only ai.onnx)`);
    const support = SUPPORTED_OPS[op];
    if (!support || !Object.prototype.hasOwnProperty.call(SUPPORTED_OPS, op)) fail(`operator not supported (supported: ${Object.keys(SUPPORTED_OPS).join(', ')})`);
    const attrs = nodeAttributes(node);
    for (const [name, value] of attrs) {
      const rule = support!.attributes[name];
      if (!rule || !Object.prototype.hasOwnProperty.call(support!.attributes, name)) fail(`attribute ${name} not supported`);
      const problem = rule!(value);
      if (problem) fail(`${name} ${problem}`);
    }
    const problem = support!.check?.(attrs, node, model);
    if (problem) fail(problem);
    const outputs = (node.output ?? []).filter((o) => o !== '').length;
    if (support!.maxOutputs !== undefined && outputs > support!.maxOutputs) fail(`${outputs} outputs not supported (only ${support!.maxOutputs})`);
  });
}
