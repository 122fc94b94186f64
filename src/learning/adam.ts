/**
 * Adam on Float32Arrays, the update of tfjs's tf.train.adam (AdamOptimizer.applyGradients: β1 0.9,
 * β2 0.999, ε = the backend's float32 epsilon 1e-7, bias correction by the accumulated β powers):
 *   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²,  w ← w − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
 * The onnxruntime engine keeps its weights in plain arrays; a tfjs round trip per step to reuse
 * tf.train.adam would copy every weight into the wasm heap and back.
 */
export class Adam {
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private accBeta1: number;
  private accBeta2: number;

  constructor(public learningRate: number, private readonly beta1 = 0.9, private readonly beta2 = 0.999, private readonly epsilon = 1e-7) {
    this.accBeta1 = beta1;
    this.accBeta2 = beta2;
  }

  /** Updates `weights` in place with `grads` (same names and lengths). */
  apply(weights: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>): void {
    const { beta1: b1, beta2: b2, epsilon: eps, learningRate: lr } = this;
    const c1 = 1 - this.accBeta1, c2 = 1 - this.accBeta2;
    for (const [name, w] of weights) {
      const g = grads.get(name);
      if (!g) continue;
      if (g.length !== w.length) throw new Error(`Adam: gradient of "${name}" has ${g.length} values for ${w.length} weights`);
      let m = this.m.get(name), v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(w.length);
        v = new Float32Array(w.length);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]!;
        const mi = b1 * m[i]! + (1 - b1) * gi;
        const vi = b2 * v[i]! + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i]! - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
      }
    }
    this.accBeta1 *= b1;
    this.accBeta2 *= b2;
  }
}
