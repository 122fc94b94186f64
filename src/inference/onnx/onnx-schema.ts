import protobuf from 'protobufjs';

/**
 * The ONNX IR messages as a protobufjs schema built in code, from the field numbers of the ONNX IR
 * specification (docs/IR.md and the onnx.proto it documents, IR version 11 / ONNX 1.18+).
 *
 * Why every field: protobufjs re-encodes only the fields its schema knows, so a model read with an
 * incomplete schema silently loses data on write (e.g. external-data locations or training info).
 * readOnnx additionally keeps unknown fields ($unknowns) so fields of a newer IR survive too.
 *
 * Wire details that matter for byte-identical round trips:
 *  - onnx.proto is `syntax = "proto2"`: explicit presence, so `i: 0` or `f: 0` in an attribute is kept
 *    exactly when it was on the wire (proto3 semantics would drop them). protobufjs builds reflected
 *    types as proto2 by default; onnx-schema.test.ts asserts it.
 *  - only TensorProto's float/int32/int64/double/uint64 data are `[packed = true]`; every other
 *    repeated scalar (dims, AttributeProto.ints/floats, ...) is unpacked in proto2. The decoder accepts
 *    both encodings; the encoder writes what onnx.proto declares, i.e. what protoc-built writers emit.
 *  - enums (data types, attribute types, data location) are plain int32 here: proto2 enums are
 *    closed, so an enum value newer than this table would otherwise be moved to the unknown fields.
 *  - oneofs (TypeProto.value, Dimension.value) are plain optional fields: same wire format, and
 *    protobufjs' virtual oneof properties would clash with our plain-object model.
 */
type Rule = 'repeated' | 'packed';
type FieldSpec = readonly [name: string, id: number, type: string, rule?: Rule];

const MESSAGES: Record<string, readonly FieldSpec[]> = {
  StringStringEntryProto: [['key', 1, 'string'], ['value', 2, 'string']],
  OperatorSetIdProto: [['domain', 1, 'string'], ['version', 2, 'int64']],
  TensorSegment: [['begin', 1, 'int64'], ['end', 2, 'int64']],
  TensorProto: [
    ['dims', 1, 'int64', 'repeated'],
    ['data_type', 2, 'int32'],
    ['segment', 3, 'TensorSegment'],
    ['float_data', 4, 'float', 'packed'],
    ['int32_data', 5, 'int32', 'packed'],
    ['string_data', 6, 'bytes', 'repeated'],
    ['int64_data', 7, 'int64', 'packed'],
    ['name', 8, 'string'],
    ['raw_data', 9, 'bytes'],
    ['double_data', 10, 'double', 'packed'],
    ['uint64_data', 11, 'uint64', 'packed'],
    ['doc_string', 12, 'string'],
    ['external_data', 13, 'StringStringEntryProto', 'repeated'],
    ['data_location', 14, 'int32'],
    ['metadata_props', 16, 'StringStringEntryProto', 'repeated'],
  ],
  SparseTensorProto: [['values', 1, 'TensorProto'], ['indices', 2, 'TensorProto'], ['dims', 3, 'int64', 'repeated']],
  TensorShapeDimension: [['dim_value', 1, 'int64'], ['dim_param', 2, 'string'], ['denotation', 3, 'string']],
  TensorShapeProto: [['dim', 1, 'TensorShapeDimension', 'repeated']],
  TypeProtoTensor: [['elem_type', 1, 'int32'], ['shape', 2, 'TensorShapeProto']],
  TypeProtoSequence: [['elem_type', 1, 'TypeProto']],
  TypeProtoMap: [['key_type', 1, 'int32'], ['value_type', 2, 'TypeProto']],
  TypeProtoOptional: [['elem_type', 1, 'TypeProto']],
  TypeProtoSparseTensor: [['elem_type', 1, 'int32'], ['shape', 2, 'TensorShapeProto']],
  TypeProtoOpaque: [['domain', 1, 'string'], ['name', 2, 'string']],
  TypeProto: [
    ['tensor_type', 1, 'TypeProtoTensor'],
    ['sequence_type', 4, 'TypeProtoSequence'],
    ['map_type', 5, 'TypeProtoMap'],
    ['denotation', 6, 'string'],
    ['opaque_type', 7, 'TypeProtoOpaque'], // ONNX-ML only, harmless elsewhere
    ['sparse_tensor_type', 8, 'TypeProtoSparseTensor'],
    ['optional_type', 9, 'TypeProtoOptional'],
  ],
  ValueInfoProto: [
    ['name', 1, 'string'],
    ['type', 2, 'TypeProto'],
    ['doc_string', 3, 'string'],
    ['metadata_props', 4, 'StringStringEntryProto', 'repeated'],
  ],
  AttributeProto: [
    ['name', 1, 'string'],
    ['f', 2, 'float'],
    ['i', 3, 'int64'],
    ['s', 4, 'bytes'],
    ['t', 5, 'TensorProto'],
    ['g', 6, 'GraphProto'],
    ['floats', 7, 'float', 'repeated'],
    ['ints', 8, 'int64', 'repeated'],
    ['strings', 9, 'bytes', 'repeated'],
    ['tensors', 10, 'TensorProto', 'repeated'],
    ['graphs', 11, 'GraphProto', 'repeated'],
    ['doc_string', 13, 'string'],
    ['tp', 14, 'TypeProto'],
    ['type_protos', 15, 'TypeProto', 'repeated'],
    ['type', 20, 'int32'],
    ['ref_attr_name', 21, 'string'],
    ['sparse_tensor', 22, 'SparseTensorProto'],
    ['sparse_tensors', 23, 'SparseTensorProto', 'repeated'],
  ],
  IntIntListEntryProto: [['key', 1, 'int64'], ['value', 2, 'int64', 'repeated']],
  SimpleShardedDimProto: [['dim_value', 1, 'int64'], ['dim_param', 2, 'string'], ['num_shards', 3, 'int64']],
  ShardedDimProto: [['axis', 1, 'int64'], ['simple_sharding', 2, 'SimpleShardedDimProto', 'repeated']],
  ShardingSpecProto: [
    ['tensor_name', 1, 'string'],
    ['device', 2, 'int64', 'repeated'],
    ['index_to_device_group_map', 3, 'IntIntListEntryProto', 'repeated'],
    ['sharded_dim', 4, 'ShardedDimProto', 'repeated'],
  ],
  NodeDeviceConfigurationProto: [
    ['configuration_id', 1, 'string'],
    ['sharding_spec', 2, 'ShardingSpecProto', 'repeated'],
    ['pipeline_stage', 3, 'int32'],
  ],
  NodeProto: [
    ['input', 1, 'string', 'repeated'],
    ['output', 2, 'string', 'repeated'],
    ['name', 3, 'string'],
    ['op_type', 4, 'string'],
    ['attribute', 5, 'AttributeProto', 'repeated'],
    ['doc_string', 6, 'string'],
    ['domain', 7, 'string'],
    ['overload', 8, 'string'],
    ['metadata_props', 9, 'StringStringEntryProto', 'repeated'],
    ['device_configurations', 10, 'NodeDeviceConfigurationProto', 'repeated'],
  ],
  TensorAnnotation: [['tensor_name', 1, 'string'], ['quant_parameter_tensor_names', 2, 'StringStringEntryProto', 'repeated']],
  GraphProto: [
    ['node', 1, 'NodeProto', 'repeated'],
    ['name', 2, 'string'],
    ['initializer', 5, 'TensorProto', 'repeated'],
    ['doc_string', 10, 'string'],
    ['input', 11, 'ValueInfoProto', 'repeated'],
    ['output', 12, 'ValueInfoProto', 'repeated'],
    ['value_info', 13, 'ValueInfoProto', 'repeated'],
    ['quantization_annotation', 14, 'TensorAnnotation', 'repeated'],
    ['sparse_initializer', 15, 'SparseTensorProto', 'repeated'],
    ['metadata_props', 16, 'StringStringEntryProto', 'repeated'],
  ],
  TrainingInfoProto: [
    ['initialization', 1, 'GraphProto'],
    ['algorithm', 2, 'GraphProto'],
    ['initialization_binding', 3, 'StringStringEntryProto', 'repeated'],
    ['update_binding', 4, 'StringStringEntryProto', 'repeated'],
  ],
  FunctionProto: [
    ['name', 1, 'string'],
    ['input', 4, 'string', 'repeated'],
    ['output', 5, 'string', 'repeated'],
    ['attribute', 6, 'string', 'repeated'],
    ['node', 7, 'NodeProto', 'repeated'],
    ['doc_string', 8, 'string'],
    ['opset_import', 9, 'OperatorSetIdProto', 'repeated'],
    ['domain', 10, 'string'],
    ['attribute_proto', 11, 'AttributeProto', 'repeated'],
    ['value_info', 12, 'ValueInfoProto', 'repeated'],
    ['overload', 13, 'string'],
    ['metadata_props', 14, 'StringStringEntryProto', 'repeated'],
  ],
  DeviceConfigurationProto: [['name', 1, 'string'], ['num_devices', 2, 'int32'], ['device', 3, 'string', 'repeated']],
  ModelProto: [
    ['ir_version', 1, 'int64'],
    ['producer_name', 2, 'string'],
    ['producer_version', 3, 'string'],
    ['domain', 4, 'string'],
    ['model_version', 5, 'int64'],
    ['doc_string', 6, 'string'],
    ['graph', 7, 'GraphProto'],
    ['opset_import', 8, 'OperatorSetIdProto', 'repeated'],
    ['metadata_props', 14, 'StringStringEntryProto', 'repeated'],
    ['training_info', 20, 'TrainingInfoProto', 'repeated'],
    ['functions', 25, 'FunctionProto', 'repeated'],
    ['configuration', 26, 'DeviceConfigurationProto', 'repeated'],
  ],
};

function buildRoot(): protobuf.Root {
  const ns = new protobuf.Namespace('onnx');
  for (const [typeName, fields] of Object.entries(MESSAGES)) {
    const type = new protobuf.Type(typeName);
    for (const [name, id, valueType, rule] of fields) {
      const repeated = rule !== undefined;
      // Explicit `packed` on every repeated field, so the encoding never depends on edition defaults.
      const options = repeated && !/^[A-Z]/.test(valueType) && valueType !== 'string' && valueType !== 'bytes'
        ? { packed: rule === 'packed' }
        : undefined;
      type.add(new protobuf.Field(name, id, valueType, repeated ? 'repeated' : 'optional', options));
    }
    ns.add(type);
  }
  const root = new protobuf.Root();
  root.add(ns);
  root.resolveAll();
  return root;
}

const root = buildRoot();

/** The reflected message types, e.g. `onnxTypes.ModelProto.decode(...)`. */
export const onnxTypes = {
  ModelProto: root.lookupType('onnx.ModelProto'),
  GraphProto: root.lookupType('onnx.GraphProto'),
  NodeProto: root.lookupType('onnx.NodeProto'),
  TensorProto: root.lookupType('onnx.TensorProto'),
  ValueInfoProto: root.lookupType('onnx.ValueInfoProto'),
  AttributeProto: root.lookupType('onnx.AttributeProto'),
  TypeProto: root.lookupType('onnx.TypeProto'),
  SparseTensorProto: root.lookupType('onnx.SparseTensorProto'),
  FunctionProto: root.lookupType('onnx.FunctionProto'),
  TrainingInfoProto: root.lookupType('onnx.TrainingInfoProto'),
} as const;

/** Field tables, exported for tests that check the schema against the IR spec's numbering. */
export const onnxMessageFields = MESSAGES;
