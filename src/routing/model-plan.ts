import { planFor, type ModelPlane, type PlaneOfSeries } from '../dicom/plane.js';
import type { ModelCard } from '../inference/model-card.js';
import { planeRequirements } from '../inference/segment-plane.js';
import type { GeometryEstimate } from './series-geometry.js';

/**
 * What a model would do with a series, as the dry-run shows it (issue 14): the inference
 * pipeline's own plan (plane.ts `planFor`: direct / reformat / skip, with its one-line reason),
 * computed on the grid estimated from the headers, or why no plan can be made.
 */
export interface PlanPreview {
  action: 'direct' | 'reformat' | 'skip' | 'model-not-installed' | 'no-geometry';
  /** The model's plane (card input.plane), null when the model is not installed. */
  target: ModelPlane | 'any' | null;
  /** Coarsest source sampling in the model's plane, mm (0 when direct); null when unknown or a single slice. */
  inPlaneSampling: number | null;
  reason: string;
}

/** The series' plane as the dry-run shows it, e.g. `coronal` or `oblique (25° from axial)`. */
export interface PlaneSummary {
  plane: PlaneOfSeries['plane'];
  nearest: ModelPlane;
  tiltDegrees: number;
  text: string;
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

export function planeSummary(p: PlaneOfSeries | null): PlaneSummary | null {
  if (!p) return null;
  const text = p.plane === 'oblique' ? `oblique (${Math.round(p.tiltDegrees)}° from ${p.nearest})` : p.plane;
  return { plane: p.plane, nearest: p.nearest, tiltDegrees: round(p.tiltDegrees, 1), text };
}

/**
 * The plan for model `modelId` (its active card, or a string saying why there is none) on the
 * estimated grid. Never throws: a missing model or an unplaceable series is a line in the
 * dry-run, not a failed dry-run.
 */
export function previewPlan(modelId: string, card: ModelCard | string, estimate: GeometryEstimate): PlanPreview {
  if (typeof card === 'string') return { action: 'model-not-installed', target: null, inPlaneSampling: null, reason: card };
  const req = planeRequirements({ card });
  if (!estimate.geometry) return { action: 'no-geometry', target: req.plane, inPlaneSampling: null, reason: `no plan for model "${modelId}": ${estimate.reason ?? 'geometry unknown'}` };
  const plan = planFor(estimate.geometry, req);
  return { action: plan.action, target: plan.target, inPlaneSampling: Number.isFinite(plan.inPlaneSampling) ? round(plan.inPlaneSampling, 2) : null, reason: plan.reason };
}
