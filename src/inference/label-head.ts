import { makeAttribute } from './onnx/attributes.js';
import { graphOutputs, readOnnx, writeOnnx } from './onnx/onnx-io.js';
import { DataType } from './onnx/onnx-types.js';

/** Name of the extra graph output that carries the arg-max labels (uint8, N×H×W). */
export const LABELS_OUTPUT = 'dafne_argmax_labels';

/**
 * The model with an arg-max "head" appended: ArgMax over the channel axis of `outputName` (ties
 * to the first, i.e. lower, channel: select_last_index defaults to 0, the rule of the JS arg-max)
 * then Cast to uint8, as a second graph output; the original output stays. onnxruntime then does
 * the arg-max inside its run (≈ 0.4 ms CPU per 7×256² slice against 1.6 ms in JS, measured) and
 * the pipeline's main thread has that much less to take from onnxruntime's threads.
 *
 * The resize back to the source grid is deliberately not appended (docs/segmentation.md): an ONNX
 * Resize interpolates every channel at every source pixel in float32 and an ArgMax then picks among
 * all channels, which is both more work than the JS back-projection (interpolates only at label
 * boundaries, only the neighbouring labels) and not bit-identical to it.
 *
 * Returns null when the graph cannot take the head (no such float output, a name clash, an
 * unreadable graph): the caller then runs the plain model and does the arg-max in JS. (More than
 * 255 channels would not fit uint8; the model card's label table cannot declare that many.)
 */
export function withLabelHead(onnx: Uint8Array, outputName: string | undefined): Uint8Array | null {
  let model;
  try {
    model = readOnnx(onnx);
  } catch {
    return null;
  }
  const graph = model.graph;
  if (!graph) return null;
  const outputs = graphOutputs(model);
  const target = outputName ?? outputs[0]?.name;
  const info = outputs.find((o) => o.name === target);
  if (!info || info.elemType !== DataType.FLOAT || (info.shape !== null && info.shape.length < 2)) return null;
  const used = new Set<string>([...(graph.node ?? []).flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])]), ...outputs.map((o) => o.name)]);
  if (used.has(LABELS_OUTPUT) || used.has(`${LABELS_OUTPUT}_int64`)) return null;
  graph.node = [
    ...(graph.node ?? []),
    {
      name: `${LABELS_OUTPUT}_argmax`,
      op_type: 'ArgMax',
      input: [target!],
      output: [`${LABELS_OUTPUT}_int64`],
      attribute: [makeAttribute('axis', 1), makeAttribute('keepdims', 0)],
    },
    { name: `${LABELS_OUTPUT}_cast`, op_type: 'Cast', input: [`${LABELS_OUTPUT}_int64`], output: [LABELS_OUTPUT], attribute: [makeAttribute('to', DataType.UINT8)] },
  ];
  graph.output = [...(graph.output ?? []), { name: LABELS_OUTPUT, type: { tensor_type: { elem_type: DataType.UINT8 } } }];
  return writeOnnx(model);
}
