import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { tf };

let ready: Promise<void> | undefined;

/**
 * Selects tfjs's WebAssembly backend (XNNPACK + SIMD), loading its .wasm files from the installed
 * npm package: nothing is downloaded (engine notes: tfjs-node cannot install here). 'cpu' is the
 * reference backend the gradient tests compare against. Idempotent per backend.
 */
export function initTf(backend: 'wasm' | 'cpu' = 'wasm'): Promise<void> {
  // PROD: no debug-mode checks, and no console banner suggesting tfjs-node (which cannot install here).
  tf.env().set('PROD', true);
  if (backend === 'cpu') return tf.setBackend('cpu').then(() => tf.ready());
  // One initialisation per process, shared by concurrent callers: two overlapping
  // tf.setBackend('wasm') calls while the module compiles can make the second one fail (seen
  // when two tests of one file started together).
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    setWasmPaths(dir);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to initialise');
    await tf.ready();
  })();
  return ready.then(async () => {
    // Someone may have switched to 'cpu' since (the gradient tests do): the backend is
    // initialised already, so switching back is immediate.
    if (tf.getBackend() !== 'wasm') {
      if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to initialise');
      await tf.ready();
    }
  });
}
