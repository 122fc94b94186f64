import type { GraphBuilder } from '../inference/onnx/builder.js';
import { int64Tensor } from '../inference/onnx/onnx-io.js';

/**
 * loss.ts's Dice + cross-entropy and its gradient with respect to the logits, as ONNX nodes of the
 * training-step graph (grad-graph.ts), NCHW. With p = softmax(z), t = onehot · class weights,
 * T = Σ_c t_c per pixel, S_c = Σ p_c + Σ onehot_c + 1 and dice_c = (2 Σ p_c·onehot_c + 1) / S_c:
 *
 *   ∂CE/∂z   = ce_scale · (p·T − t)                       (ce_scale = w_ce · fraction / pixels)
 *   ∂Dice/∂p_c = −dice_scale · (2·onehot_c − dice_c) / S_c for c ≥ 1, 0 for background
 *                                                          (dice_scale = w_dice · fraction / (classes − 1))
 *   ∂/∂z     = p ⊙ (G − Σ_c p_c G_c)                       (through the softmax, G = ∂Dice/∂p)
 *
 * The loss value itself is assembled by the caller from the outputs `ce_sum` (Σ −t·log p) and
 * `dice` (per class), as loss.ts computes it.
 */
export function lossAndLogitGradient(b: GraphBuilder, logits: string, classes: number, o: { dice: boolean; H: number; W: number }): { dLogits: string } {
  const onehot = b.input('onehot', ['N', classes, o.H, o.W]);
  const cw = b.input('class_weights', [1, classes, 1, 1]);
  const ceScale = b.input('ce_scale', []);
  const axes = (name: string, v: number[]) => b.tensor(int64Tensor(name, [v.length], v));
  const all = axes('loss:axes-all', [0, 1, 2, 3]);
  const channel = axes('loss:axes-c', [1]);
  // log-softmax over the channel axis written out: onnxruntime's LogSoftmax on axis 1 of NCHW took
  // 59 ms on [5, 7, 256, 256], these five nodes 10 ms.
  const shifted = b.node('Sub', [logits, b.node('ReduceMax', [logits], { axes: [1], keepdims: 1 })]);
  const e = b.node('Exp', [shifted]);
  const z = b.node('ReduceSum', [e, axes('loss:axes-c0', [1])], { keepdims: 1 });
  const lp = b.node('Sub', [shifted, b.node('Log', [z])]);
  const p = b.node('Div', [e, z]);
  const t = b.node('Mul', [onehot, cw]);
  b.node('Neg', [b.node('ReduceSum', [b.node('Mul', [t, lp]), all], { keepdims: 0 })], {}, { outputs: ['ce_sum'] });
  b.output('ce_sum', []);
  const T = b.node('ReduceSum', [t, channel], { keepdims: 1 });
  const dCe = b.node('Mul', [b.node('Sub', [b.node('Mul', [p, T]), t]), ceScale]);
  if (!o.dice) return { dLogits: dCe };

  const diceScale = b.input('dice_scale', []);
  const spatial = axes('loss:axes-nhw', [0, 2, 3]);
  const one = b.initializer('loss:one', [], [1]);
  const two = b.initializer('loss:two', [], [2]);
  // −1 for the foreground classes, 0 for background (Dice is averaged over classes 1..K).
  const fg = b.initializer('loss:foreground', [1, classes, 1, 1], Array.from({ length: classes }, (_, c) => (c === 0 ? 0 : -1)));
  const inter = b.node('ReduceSum', [b.node('Mul', [p, onehot]), spatial], { keepdims: 1 });
  const S = b.node('Add', [b.node('Add', [b.node('ReduceSum', [p, spatial], { keepdims: 1 }), b.node('ReduceSum', [onehot, spatial], { keepdims: 1 })]), one]);
  const dice = b.node('Div', [b.node('Add', [b.node('Mul', [inter, two]), one]), S]);
  b.node('Reshape', [dice, axes('loss:flat', [-1])], {}, { outputs: ['dice'] });
  b.output('dice', [classes]);
  const G = b.node('Mul', [b.node('Mul', [b.node('Div', [b.node('Sub', [b.node('Mul', [onehot, two]), dice]), S]), fg]), diceScale]);
  const dDice = b.node('Mul', [p, b.node('Sub', [G, b.node('ReduceSum', [b.node('Mul', [p, G]), channel], { keepdims: 1 })])]);
  return { dLogits: b.node('Add', [dCe, dDice]) };
}
