import test from 'ava';
import { InferenceSession } from 'onnxruntime-node';
import { GraphBuilder } from '../../src/inference/onnx/builder.js';
import {
  float32Tensor, getFloat32Initializer, graphInputs, graphOutputs, listInitializers, OnnxFormatError,
  readOnnx, setFloat32Initializer, writeOnnx,
} from '../../src/inference/onnx/onnx-io.js';
import { onnxTypes } from '../../src/inference/onnx/onnx-schema.js';
import { AttributeType, DataLocation, DataType, int64ToNumber, type OnnxModel } from '../../src/inference/onnx/onnx-types.js';
import { thresholdModel } from '../../src/inference/onnx/test-models.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);

test('wire format follows onnx.proto (proto2): dims unpacked, float_data packed, explicit zeros kept', (t) => {
  // dims=[2] → 08 02 (unpacked varint), data_type=1 → 10 01, float_data=[1] packed → 22 04 0000803f
  t.is(hex(onnxTypes.TensorProto.encode({ dims: [2, 3], data_type: 1, float_data: [1] }).finish()), '0802080310012204' + '0000803f');
  // AttributeProto i = 0 must be written (proto2 presence: ceil_mode=0 is a real value); ints unpacked.
  t.is(hex(onnxTypes.AttributeProto.encode({ name: 'a', i: 0, ints: [1, 2], type: 2 }).finish()), '0a0161' + '1800' + '40014002' + 'a00102');
  const decoded = onnxTypes.AttributeProto.decode(Buffer.from('0a01611800', 'hex')) as unknown as { i: unknown };
  t.true(Object.prototype.hasOwnProperty.call(decoded, 'i'));
});

test('a built model round-trips byte-identically and ORT loads it with the declared shapes', async (t) => {
  const bytes = writeOnnx(thresholdModel({ thresholds: [0.25, 0.5] }));
  const again = writeOnnx(readOnnx(bytes));
  t.true(bytes.equals(again));
  t.true(again.equals(writeOnnx(readOnnx(again))));
  const session = await InferenceSession.create(bytes);
  t.deepEqual(session.inputNames, ['image']);
  t.deepEqual(session.outputNames, ['logits']);
  const meta = session.inputMetadata[0]!;
  t.true(meta.isTensor && meta.type === 'float32');
  t.deepEqual(meta.isTensor ? [...meta.shape] : [], ['N', 1, 'H', 'W']);
  await session.release();
});

/** A model that uses every message and field of the IR, including the ones we never produce. */
function kitchenSink(): OnnxModel {
  const tensorType = (elem: number) => ({ tensor_type: { elem_type: elem, shape: { dim: [{ dim_param: 'N', denotation: 'DATA_BATCH' }, { dim_value: 3 }, {}] } } });
  const meta = [{ key: 'k', value: 'v' }];
  const int64Max = { low: -1, high: 0x7fffffff, unsigned: false };
  const sparse = { values: { dims: [2], data_type: DataType.FLOAT, float_data: [1, 2] }, indices: { dims: [2], data_type: DataType.INT64, int64_data: [0, 5] }, dims: [2, 3] };
  const graph = {
    name: 'g',
    doc_string: 'graph doc',
    node: [{
      input: ['x', ''], output: ['y'], name: 'n0', op_type: 'Custom', domain: 'my.domain', overload: 'o1', doc_string: 'node doc', metadata_props: meta,
      attribute: [
        { name: 'f', type: AttributeType.FLOAT, f: 0 },
        { name: 'i', type: AttributeType.INT, i: 0 },
        { name: 'big', type: AttributeType.INTS, ints: [int64Max, -1, 0] },
        { name: 's', type: AttributeType.STRING, s: utf8('str'), doc_string: 'attr doc' },
        { name: 'fs', type: AttributeType.FLOATS, floats: [0.5, -0] },
        { name: 'ss', type: AttributeType.STRINGS, strings: [utf8('a'), utf8('')] },
        { name: 't', type: AttributeType.TENSOR, t: { dims: [1], data_type: DataType.DOUBLE, double_data: [Math.PI] } },
        { name: 'ts', type: AttributeType.TENSORS, tensors: [{ dims: [1], data_type: DataType.UINT64, uint64_data: [7] }, { dims: [1], data_type: DataType.STRING, string_data: [utf8('s')] }] },
        { name: 'g', type: AttributeType.GRAPH, g: { name: 'sub', node: [{ op_type: 'Identity', input: ['a'], output: ['b'] }] } },
        { name: 'gs', type: AttributeType.GRAPHS, graphs: [{ name: 'sub2' }] },
        { name: 'st', type: AttributeType.SPARSE_TENSOR, sparse_tensor: sparse },
        { name: 'sts', type: AttributeType.SPARSE_TENSORS, sparse_tensors: [sparse] },
        { name: 'tp', type: AttributeType.TYPE_PROTO, tp: { sequence_type: { elem_type: tensorType(DataType.FLOAT) } } },
        { name: 'tps', type: AttributeType.TYPE_PROTOS, type_protos: [{ map_type: { key_type: DataType.INT64, value_type: tensorType(DataType.FLOAT) } }, { optional_type: { elem_type: { sparse_tensor_type: { elem_type: 1, shape: { dim: [] } } } } }, { opaque_type: { domain: 'd', name: 'n' }, denotation: 'TENSOR' }] },
        { name: 'ref', type: AttributeType.INT, ref_attr_name: 'outer' },
      ],
      device_configurations: [{ configuration_id: 'c', pipeline_stage: 0, sharding_spec: [{ tensor_name: 'x', device: [0, 1], index_to_device_group_map: [{ key: 0, value: [0, 1] }], sharded_dim: [{ axis: 0, simple_sharding: [{ dim_param: 'N', num_shards: 2 }, { dim_value: 4, num_shards: 2 }] }] }] }],
    }],
    initializer: [
      { name: 'w', dims: [2], data_type: DataType.FLOAT, raw_data: new Uint8Array(8), doc_string: 'w doc', metadata_props: meta },
      { name: 'ext', dims: [4], data_type: DataType.FLOAT, data_location: DataLocation.EXTERNAL, external_data: [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '0' }] },
      { name: 'seg', dims: [4], data_type: DataType.INT32, int32_data: [1, 2], segment: { begin: 0, end: 2 } },
    ],
    sparse_initializer: [sparse],
    input: [{ name: 'x', type: tensorType(DataType.FLOAT), doc_string: 'in doc', metadata_props: meta }],
    output: [{ name: 'y', type: tensorType(DataType.FLOAT) }],
    value_info: [{ name: 'v', type: { sequence_type: { elem_type: tensorType(DataType.INT8) } } }],
    quantization_annotation: [{ tensor_name: 'w', quant_parameter_tensor_names: [{ key: 'SCALE_TENSOR', value: 's' }] }],
    metadata_props: meta,
  };
  return {
    ir_version: 11, producer_name: 'p', producer_version: '1', domain: 'org.example', model_version: 0, doc_string: 'doc',
    graph, opset_import: [{ domain: '', version: 17 }, { domain: 'my.domain', version: 1 }], metadata_props: meta,
    training_info: [{ initialization: { name: 'init' }, algorithm: { name: 'algo' }, initialization_binding: meta, update_binding: meta }],
    functions: [{ name: 'Custom', domain: 'my.domain', overload: 'o1', input: ['x'], output: ['y'], attribute: ['alpha'], attribute_proto: [{ name: 'beta', type: AttributeType.FLOAT, f: 1 }], node: [{ op_type: 'Identity', input: ['x'], output: ['y'] }], doc_string: 'fn', opset_import: [{ domain: '', version: 17 }], value_info: [{ name: 'x' }], metadata_props: meta }],
    configuration: [{ name: 'c', num_devices: 2, device: ['cpu0', 'cpu1'] }],
  };
}

test('every IR field survives read → write (functions, training info, sparse and external tensors, type protos, sharding)', (t) => {
  const first = writeOnnx(kitchenSink());
  const model = readOnnx(first);
  const second = writeOnnx(model);
  t.is(hex(second), hex(first));
  // Spot checks that the values decoded into the right fields, not just the same bytes.
  const attrs = model.graph!.node![0]!.attribute!;
  t.is(int64ToNumber(attrs.find((a) => a.name === 'big')!.ints![0]), 2 ** 63);
  t.is(String(attrs.find((a) => a.name === 'big')!.ints![0]), '9223372036854775807');
  t.is(model.graph!.initializer![1]!.external_data![0]!.value, 'weights.bin');
  t.is(model.training_info![0]!.algorithm!.name, 'algo');
  t.is(model.functions![0]!.attribute_proto![0]!.f, 1);
  t.is(model.configuration![0]!.device![1], 'cpu1');
  t.is(model.graph!.node![0]!.device_configurations![0]!.sharding_spec![0]!.sharded_dim![0]!.simple_sharding![0]!.dim_param, 'N');
});

test('unknown fields (a newer IR) are kept and written back', (t) => {
  const known = writeOnnx(thresholdModel({ thresholds: [0.5] }));
  const unknown = Buffer.from([0xf8, 0x06, 0x2a]); // field 111, varint 42
  const bytes = Buffer.concat([known, unknown]);
  t.true(writeOnnx(readOnnx(bytes)).equals(bytes));
});

test('readOnnx rejects bytes that are not a model', (t) => {
  t.throws(() => readOnnx(Buffer.from('{"schema":"dafne-model-card/1"}')), { instanceOf: OnnxFormatError, message: /not an ONNX model/ });
  t.throws(() => readOnnx(Buffer.from([0x0a, 0xff])), { instanceOf: OnnxFormatError, message: /not an ONNX model/ });
});

test('initializers read and write as Float32Array, keeping raw_data or float_data form', (t) => {
  const b = new GraphBuilder('g');
  const x = b.input('x', ['N', 2]);
  const w = b.initializer('w', [2], [1.5, -2]);
  b.tensor({ name: 'v', dims: [2], data_type: DataType.FLOAT, float_data: [3, 4] });
  b.output(b.node('Add', [x, w], {}, { outputs: ['y'] }), ['N', 2]);
  const model = readOnnx(writeOnnx(b.build()));
  t.deepEqual(getFloat32Initializer(model, 'w'), Float32Array.of(1.5, -2));
  t.deepEqual(getFloat32Initializer(model, 'v'), Float32Array.of(3, 4));
  setFloat32Initializer(model, 'w', Float32Array.of(0.25, 8));
  setFloat32Initializer(model, 'v', Float32Array.of(-1, -2));
  const back = readOnnx(writeOnnx(model));
  t.deepEqual(getFloat32Initializer(back, 'w'), Float32Array.of(0.25, 8));
  t.is(back.graph!.initializer![0]!.raw_data!.length, 8);
  t.deepEqual([...back.graph!.initializer![1]!.float_data!], [-1, -2]);
  t.throws(() => setFloat32Initializer(model, 'w', Float32Array.of(1)), { message: /has 2 values, got 1/ });
  t.deepEqual(listInitializers(back).map((i) => i.name), ['w', 'v']);
  t.deepEqual(float32Tensor('s', [], [2]).dims, []);
});

test('graph inputs exclude initializers listed as inputs; shapes report symbols, sizes and unknowns', (t) => {
  const model = kitchenSink();
  model.graph!.input!.push({ name: 'w', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: 2 }] } } } });
  const decoded = readOnnx(writeOnnx(model));
  t.deepEqual(graphInputs(decoded), [{ name: 'x', elemType: DataType.FLOAT, shape: ['N', 3, null] }]);
  t.deepEqual(graphOutputs(decoded).map((o) => o.name), ['y']);
});
