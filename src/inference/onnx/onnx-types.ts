import type { Long } from 'protobufjs';

/**
 * TypeScript view of the ONNX IR messages (onnx.proto, IR version 10/11; field names exactly as in the
 * IR spec, snake_case). Every field is optional because the IR is proto2 with explicit presence: a
 * field that was absent on the wire stays absent after decoding and is not written back, which is
 * what makes a read → write round trip byte-identical (see onnx-schema.ts).
 *
 * int64 fields decode to `Long` (protobufjs uses the `long` package when present) so values above
 * 2^53 (e.g. INT64_MAX in Slice `ends`) survive; code that builds models may use plain numbers.
 * Use `int64ToNumber` to read them.
 */
export type Int64 = number | Long;

export function int64ToNumber(v: Int64 | null | undefined): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  // Long: two 32-bit halves; exact below 2^53, nearest double above (e.g. INT64_MAX → 2^63).
  return (v.unsigned ? v.high >>> 0 : v.high) * 4294967296 + (v.low >>> 0);
}

/**
 * Whether a field is present. Decoded messages carry proto defaults on their prototype (0, '', a
 * Long zero), so `m.dim_value !== undefined` is always true there: test presence with this instead.
 */
export function has<T extends object>(message: T, field: keyof T): boolean {
  return Object.prototype.hasOwnProperty.call(message, field) && message[field] != null;
}

/** TensorProto.DataType (IR spec "Tensor Element Types"). */
export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
  FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22,
  FLOAT4E2M1: 23, FLOAT8E8M0: 24,
} as const;

/** AttributeProto.AttributeType. */
export const AttributeType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
  TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;

/** TensorProto.DataLocation. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

export interface StringStringEntry { key?: string; value?: string }
export interface OperatorSetId { domain?: string; version?: Int64 }

export interface TensorSegment { begin?: Int64; end?: Int64 }

export interface Tensor {
  dims?: Int64[];
  data_type?: number;
  segment?: TensorSegment;
  float_data?: number[];
  int32_data?: number[];
  string_data?: Uint8Array[];
  int64_data?: Int64[];
  name?: string;
  doc_string?: string;
  /** Little-endian, row-major element bytes (IR spec); preferred over the typed *_data fields. */
  raw_data?: Uint8Array;
  external_data?: StringStringEntry[];
  data_location?: number;
  double_data?: number[];
  uint64_data?: Int64[];
  metadata_props?: StringStringEntry[];
}

export interface SparseTensor { values?: Tensor; indices?: Tensor; dims?: Int64[] }

export interface Dimension { dim_value?: Int64; dim_param?: string; denotation?: string }
export interface TensorShape { dim?: Dimension[] }

export interface TypeProto {
  tensor_type?: { elem_type?: number; shape?: TensorShape };
  sequence_type?: { elem_type?: TypeProto };
  map_type?: { key_type?: number; value_type?: TypeProto };
  opaque_type?: { domain?: string; name?: string };
  sparse_tensor_type?: { elem_type?: number; shape?: TensorShape };
  optional_type?: { elem_type?: TypeProto };
  denotation?: string;
}

export interface ValueInfo { name?: string; type?: TypeProto; doc_string?: string; metadata_props?: StringStringEntry[] }

export interface Attribute {
  name?: string;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: Tensor;
  g?: Graph;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: Tensor[];
  graphs?: Graph[];
  doc_string?: string;
  tp?: TypeProto;
  type_protos?: TypeProto[];
  type?: number;
  ref_attr_name?: string;
  sparse_tensor?: SparseTensor;
  sparse_tensors?: SparseTensor[];
}

export interface IntIntListEntry { key?: Int64; value?: Int64[] }
export interface SimpleShardedDim { dim_value?: Int64; dim_param?: string; num_shards?: Int64 }
export interface ShardedDim { axis?: Int64; simple_sharding?: SimpleShardedDim[] }
export interface ShardingSpec {
  tensor_name?: string;
  device?: Int64[];
  index_to_device_group_map?: IntIntListEntry[];
  sharded_dim?: ShardedDim[];
}
export interface NodeDeviceConfiguration { configuration_id?: string; sharding_spec?: ShardingSpec[]; pipeline_stage?: number }
export interface DeviceConfiguration { name?: string; num_devices?: number; device?: string[] }

export interface Node {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  attribute?: Attribute[];
  doc_string?: string;
  domain?: string;
  overload?: string;
  metadata_props?: StringStringEntry[];
  device_configurations?: NodeDeviceConfiguration[];
}

export interface TensorAnnotation { tensor_name?: string; quant_parameter_tensor_names?: StringStringEntry[] }

export interface Graph {
  node?: Node[];
  name?: string;
  initializer?: Tensor[];
  doc_string?: string;
  input?: ValueInfo[];
  output?: ValueInfo[];
  value_info?: ValueInfo[];
  quantization_annotation?: TensorAnnotation[];
  sparse_initializer?: SparseTensor[];
  metadata_props?: StringStringEntry[];
}

export interface TrainingInfo {
  initialization?: Graph;
  algorithm?: Graph;
  initialization_binding?: StringStringEntry[];
  update_binding?: StringStringEntry[];
}

export interface FunctionProto {
  name?: string;
  input?: string[];
  output?: string[];
  attribute?: string[];
  node?: Node[];
  doc_string?: string;
  opset_import?: OperatorSetId[];
  domain?: string;
  attribute_proto?: Attribute[];
  value_info?: ValueInfo[];
  overload?: string;
  metadata_props?: StringStringEntry[];
}

/** ModelProto: the whole .onnx file. */
export interface OnnxModel {
  ir_version?: Int64;
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: Int64;
  doc_string?: string;
  graph?: Graph;
  opset_import?: OperatorSetId[];
  metadata_props?: StringStringEntry[];
  training_info?: TrainingInfo[];
  functions?: FunctionProto[];
  configuration?: DeviceConfiguration[];
}
