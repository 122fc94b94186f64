/**
 * The second lower-leg MR phantom style: an independent right-calf anatomy (power-diagram muscle
 * partition around Fourier-shaped bones, see anatomy-plan.ts) sampled on any grid in patient space,
 * with its own contrasts and artefacts. It exists to evaluate on data the demo model was not trained
 * on (docs/phantoms.md); it is never used for training.
 *
 * Sampling (partial volume, labels at voxel centres) is described in sample-grid.ts.
 */
import type { LabelVolume, Volume } from '../../dicom/volume.js';
import { anatomyPlan, type AnatomyPlan } from './anatomy-plan.js';
import { addGhosts, addNoiseAndQuantise, applyBias, BiasField } from './artefacts.js';
import { muscleSignal, signalTable } from './contrast.js';
import { CrossSections } from './cross-sections.js';
import { buildGrid, zRange } from './grid.js';
import { resolveOptions, type SecondStyleOptions } from './options.js';
import { sampleGrid } from './sample-grid.js';
import { labelTable } from './tissues.js';

export type { SecondStyleOptions } from './options.js';
export { thicknessSamples } from './sample-grid.js';
export { NOMINAL_CENTRE, SECOND_STYLE_CONTRASTS, type SecondStyleContrast } from './options.js';

export interface SecondStylePhantom {
  volume: Volume;
  labels: LabelVolume;
  /** the seeded anatomy (axis, radius, calf length, ...) for callers that need to know where the leg is */
  plan: AnatomyPlan;
}

export function secondStylePhantom(opts: SecondStyleOptions = {}): SecondStylePhantom {
  const o = resolveOptions(opts);
  const g = buildGrid(o, opts);
  const plan = anatomyPlan(o.seed);
  const [zLo, zHi] = zRange(g, o.sliceThickness);
  const anatomy = new CrossSections(plan, zLo, zHi);
  const signal = signalTable(o.contrast, plan.muscleGain, o.fattyInfiltration);
  const labelOf = labelTable();
  const { signal: data, tissue } = sampleGrid(g, anatomy, signal, o.sliceThickness);
  const labels = new Uint8Array(tissue.length);
  for (let n = 0; n < tissue.length; n++) labels[n] = labelOf[tissue[n]!]!;
  if (o.biasField) applyBias(data, g, new BiasField(plan, o.biasField));
  if (o.ghost) addGhosts(data, g, o.ghost);
  addNoiseAndQuantise(data, o.noise.sigma * muscleSignal(o.contrast), o.noise.kind, o.seed);

  return { volume: { ...g, data }, labels: { ...g, sources: g.sources.map((s) => ({ ...s })), data: labels }, plan };
}
