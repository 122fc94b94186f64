import type { MergedUpdate } from '../merge.js';

/**
 * A shorter server step along the merged update (docs/federation.md "Central gate", server step):
 * the additive part × step, the BN variance factors ^ step (the merge averaged their logarithms, so
 * this is step × the averaged log-ratio). step 1 returns the update itself.
 */
export function scaleUpdate(update: Pick<MergedUpdate, 'add' | 'scaleVar'>, step: number): Pick<MergedUpdate, 'add' | 'scaleVar'> {
  if (step === 1) return update;
  const add = new Map<string, Float32Array>(), scaleVar = new Map<string, Float32Array>();
  for (const [name, d] of update.add) add.set(name, d.map((x) => x * step));
  for (const [name, f] of update.scaleVar) scaleVar.set(name, f.map((x) => Math.pow(x, step)));
  return { add, scaleVar };
}
