import type { AttrValue } from '../inference/onnx/attributes.js';
import { tensorToFloat32 } from '../inference/onnx/onnx-io.js';
import { DataType, int64ToNumber, type Tensor } from '../inference/onnx/onnx-types.js';
import type { ResizeAxis } from './fast-ops.js';

/**
 * The shape arithmetic of ONNX nodes that both training engines need (the tfjs interpreter,
 * trainable-onnx.ts, and the onnxruntime gradient graph, grad-graph.ts): one copy, so the two
 * cannot disagree about a padding or an output size.
 */

export const ints = (attrs: Map<string, AttrValue>, name: string, dflt: number[]): number[] => {
  const v = attrs.get(name);
  return v?.kind === 'ints' ? v.value : dflt;
};
export const floatAttr = (attrs: Map<string, AttrValue>, name: string, dflt: number): number => {
  const v = attrs.get(name);
  return v?.kind === 'float' ? v.value : dflt;
};
export const strAttr = (attrs: Map<string, AttrValue>, name: string, dflt: string): string => {
  const v = attrs.get(name);
  return v?.kind === 'string' ? v.value : dflt;
};

/** Values of an int64 / float initializer as numbers (Resize sizes and scales). */
export function initializerNumbers(t: Tensor): number[] {
  if ((t.data_type ?? 0) === DataType.FLOAT) return Array.from(tensorToFloat32(t));
  if (t.data_type === DataType.INT64) {
    if (t.raw_data && t.raw_data.length > 0) {
      const view = new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength);
      return Array.from({ length: t.raw_data.length / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    }
    return (t.int64_data ?? []).map(int64ToNumber);
  }
  throw new Error(`initializer "${t.name}": data type ${t.data_type} not supported here`);
}

/** A Conv's explicit pads [top, left, bottom, right] for an input of h × w (auto_pad resolved). */
export function convPads(attrs: Map<string, AttrValue>, h: number, w: number, kh: number, kw: number, strides: [number, number]): [number, number, number, number] {
  const autoPad = strAttr(attrs, 'auto_pad', 'NOTSET');
  if (autoPad === 'SAME_UPPER') {
    // tfjs 'same' = ONNX SAME_UPPER: total = max(0, (ceil(in/s) − 1)·s + k − in), extra at the end.
    const total = (size: number, s: number, k: number) => Math.max(0, (Math.ceil(size / s) - 1) * s + k - size);
    const th = total(h, strides[0], kh), tw = total(w, strides[1], kw);
    return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
  }
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  return ints(attrs, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
}

export interface ResizeGeometry {
  oh: number;
  ow: number;
  /** Scale per axis (output / input). */
  sh: number;
  sw: number;
  axis: ResizeAxis;
}

/**
 * Output size, scales and interpolation of a Resize on an h × w input, from its constant scales or
 * sizes (`numeric`: initializer values by name) and attributes (Operators.md "Resize").
 */
export function resizeGeometry(h: number, w: number, inp: readonly string[], attrs: Map<string, AttrValue>, numeric: ReadonlyMap<string, number[]>): ResizeGeometry {
  const sizes = inp[3] ? numeric.get(inp[3]) : undefined;
  const scales = inp[2] ? numeric.get(inp[2]) : undefined;
  const twoD = attrs.get('axes') !== undefined; // axes [2,3]: scales / sizes have two entries
  let sh: number, sw: number, oh: number, ow: number;
  if (sizes && sizes.length > 0) {
    [oh, ow] = twoD ? (sizes as [number, number]) : (sizes.slice(2) as [number, number]);
    sh = oh / h; sw = ow / w;
  } else if (scales && scales.length > 0) {
    [sh, sw] = twoD ? (scales as [number, number]) : (scales.slice(2) as [number, number]);
    if (!twoD && (scales[0] !== 1 || scales[1] !== 1)) throw new Error('Resize: only spatial scales');
    oh = Math.floor(h * sh); ow = Math.floor(w * sw);
  } else throw new Error('Resize: needs constant scales or sizes (initializers)');
  const axis: ResizeAxis = { coord: strAttr(attrs, 'coordinate_transformation_mode', 'half_pixel'), mode: strAttr(attrs, 'mode', 'nearest') as 'nearest' | 'linear', nearestMode: strAttr(attrs, 'nearest_mode', 'round_prefer_floor') };
  return { oh, ow, sh, sw, axis };
}
