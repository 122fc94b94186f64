import { tf } from './tf-backend.js';

/**
 * The "plain" tfjs-wasm baseline for bench/train.ts: tfjs 4.22's wasm backend has no
 * Conv2DBackpropFilter kernel, so stock gradients cannot run at all. The obvious fix — delegate to
 * wasm's Conv3DBackpropFilterV2 with a depth of 1 — is registered here, for the benchmark only:
 * it is wrong for stride 2 (engine notes; it corrupts ConvTranspose filter gradients), which is why
 * the trainer uses fast-ops.ts instead.
 */
let registered = false;

export function registerStockConv2dFilterGrad(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const a = attrs as unknown as { strides: number | [number, number]; pad: 'same' | 'valid'; filterShape: [number, number, number, number] };
      const [sh, sw] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
      const x5 = x.reshape([x.shape[0], 1, ...x.shape.slice(1)] as [number, number, number, number, number]);
      const dy5 = dy.reshape([dy.shape[0], 1, ...dy.shape.slice(1)] as [number, number, number, number, number]);
      const out = tf.engine().runKernel('Conv3DBackpropFilterV2', { x: x5, dy: dy5 }, { strides: [1, sh, sw], pad: a.pad, filterShape: [1, ...a.filterShape] } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const r = out.reshape(a.filterShape);
      for (const t of [x5, dy5, out]) t.dispose();
      return r as unknown as tf.TensorInfo;
    },
  });
}
