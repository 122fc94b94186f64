import { AttributeType, has, int64ToNumber, type Attribute, type Node, type Tensor } from './onnx-types.js';

/**
 * NodeProto attributes ↔ plain JS values. The AttributeProto `type` field says which value field is
 * meaningful (IR spec "Attributes"; required since IR version 0.0.2), so reading never guesses.
 */

/** Explicit float attribute: a JS number that happens to be an integer would otherwise become INT. */
export interface FloatAttr { readonly float: number }
export interface FloatsAttr { readonly floats: readonly number[] }
export const floatAttr = (value: number): FloatAttr => ({ float: value });
export const floatsAttr = (values: readonly number[]): FloatsAttr => ({ floats: values });

/**
 * What the builder accepts: integer → INT, other number → FLOAT, string → STRING, integer array →
 * INTS, other number array → FLOATS, string array → STRINGS, a TensorProto → TENSOR.
 */
export type AttrInput = number | string | readonly number[] | readonly string[] | FloatAttr | FloatsAttr | Tensor;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function makeAttribute(name: string, value: AttrInput): Attribute {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: AttributeType.INT, i: value } : { name, type: AttributeType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: utf8.encode(value) };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return { name, type: AttributeType.STRINGS, strings: (value as string[]).map((s) => utf8.encode(s)) };
    const nums = value as number[];
    return nums.every(Number.isInteger) ? { name, type: AttributeType.INTS, ints: [...nums] } : { name, type: AttributeType.FLOATS, floats: [...nums] };
  }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('floats' in value && !('data_type' in value)) return { name, type: AttributeType.FLOATS, floats: [...(value as FloatsAttr).floats] };
  return { name, type: AttributeType.TENSOR, t: value as Tensor };
}

/** A decoded attribute value; kinds the learning engine never needs (graphs, types) are summarised. */
export type AttrValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: Tensor }
  | { kind: 'other'; type: number };

export function attributeValue(a: Attribute): AttrValue {
  switch (a.type ?? AttributeType.UNDEFINED) {
    case AttributeType.FLOAT: return { kind: 'float', value: a.f ?? 0 };
    case AttributeType.INT: return { kind: 'int', value: int64ToNumber(a.i) };
    case AttributeType.STRING: return { kind: 'string', value: fromUtf8.decode(a.s ?? new Uint8Array()) };
    case AttributeType.FLOATS: return { kind: 'floats', value: [...(a.floats ?? [])] };
    case AttributeType.INTS: return { kind: 'ints', value: (a.ints ?? []).map(int64ToNumber) };
    case AttributeType.STRINGS: return { kind: 'strings', value: (a.strings ?? []).map((s) => fromUtf8.decode(s)) };
    case AttributeType.TENSOR: if (has(a, 't')) return { kind: 'tensor', value: a.t! }; break;
  }
  return { kind: 'other', type: a.type ?? AttributeType.UNDEFINED };
}

/** Attributes of a node by name (a repeated name keeps the last, as protobuf readers do). */
export function nodeAttributes(node: Node): Map<string, AttrValue> {
  const out = new Map<string, AttrValue>();
  for (const a of node.attribute ?? []) out.set(a.name ?? '', attributeValue(a));
  return out;
}

/** How an attribute reads in error messages: `[2,2]`, `3`, `SAME_LOWER`. */
export function formatAttr(v: AttrValue): string {
  switch (v.kind) {
    case 'floats': case 'ints': return `[${v.value.join(',')}]`;
    case 'strings': return `[${v.value.join(',')}]`;
    case 'tensor': return '(tensor)';
    case 'other': return `(attribute type ${v.type})`;
    default: return String(v.value);
  }
}
