import type { Volume } from '../dicom/volume.js';
import type { ModelPackage } from './model-package.js';
import type { OnnxRunner } from './onnx-runner.js';
import { segmentVolume, type PipelineOptions, type SegmentationResult } from './pipeline.js';
import { planFor, type PlanePlan } from '../dicom/plane.js';
import { labelsOnto, reformatGeometry, reformatImage } from './reformat.js';

/**
 * A series the model cannot read sensibly (plane.ts `planFor` → skip). Not a failure of the node:
 * the job ends with this outcome and reason, and no SEG is made (issue 14 item 1).
 */
export class SkippedSeriesError extends Error {
  constructor(readonly plan: PlanePlan) {
    super(plan.reason);
    this.name = 'SkippedSeriesError';
  }
}

export interface PlaneTimings {
  /** Resampling into the model's plane (reformatImage), ms (0 on the direct path). */
  reformat: number;
  /** Labels carried back onto the acquired grid, ms. */
  reformatBack: number;
}

export interface AnyPlaneResult extends SegmentationResult {
  plan: PlanePlan;
  planeTimings: PlaneTimings;
}

/** The card's plane requirements (defaults in model-card.ts). */
export const planeRequirements = (pkg: Pick<ModelPackage, 'card'>) => ({ plane: pkg.card.input.plane, maxThroughPlaneSpacing: pkg.card.input.maxThroughPlaneSpacing });

/**
 * The pipeline for a series of any orientation: slices in the model's plane go straight to
 * `segmentVolume`; others are reformatted into it, segmented there (post-processing and laterality
 * included) and the labels brought back onto the source voxels, so the result has the source
 * geometry whichever path it took. Throws SkippedSeriesError when the plan says skip.
 */
export async function segmentAnyPlane(volume: Volume, pkg: ModelPackage, runner: OnnxRunner, opts: PipelineOptions = {}): Promise<AnyPlaneResult> {
  const plan = planFor(volume, planeRequirements(pkg));
  if (plan.action === 'skip') throw new SkippedSeriesError(plan);
  if (plan.action === 'direct' || plan.target === 'any') return { ...(await segmentVolume(volume, pkg, runner, opts)), plan, planeTimings: { reformat: 0, reformatBack: 0 } };

  const t0 = performance.now();
  const card = pkg.card;
  const target = reformatGeometry(volume, plan.target, card.input.size, card.input.pixelSpacing);
  const reformatted = reformatImage(volume, target);
  const reformat = performance.now() - t0;
  const r = await segmentVolume(reformatted, pkg, runner, { ...opts, statisticsFrom: opts.statisticsFrom ?? volume.data });
  const t1 = performance.now();
  const data = labelsOnto(r.labels, volume);
  const reformatBack = performance.now() - t1;
  const { data: _image, ...geometry } = volume;
  return {
    ...r,
    labels: { ...geometry, data },
    timings: { ...r.timings, total: r.timings.total + reformat + reformatBack },
    plan,
    planeTimings: { reformat, reformatBack },
  };
}
