/** The three labels of the exact threshold test model (src/inference/onnx/test-models.ts). */
export const THRESHOLD_LABELS = ['low', 'mid', 'high'].map((name, i) => ({
  value: i + 1,
  name,
  category: { value: '91723000', scheme: 'SCT', meaning: 'Anatomical Structure' },
  type: { value: '71616004', scheme: 'SCT', meaning: 'Muscle' },
  color: [80 * i, 200, 255 - 80 * i] as [number, number, number],
}));

export interface ThresholdCardOptions {
  id: string;
  name: string;
  generation?: number;
  size: [number, number];
  pixelSpacing: [number, number];
  batchSize: number;
}

/** A model card for the threshold model: fixed normalisation, so thresholds are raw intensities. */
export function thresholdCard(o: ThresholdCardOptions) {
  return {
    schema: 'dafne-model-card/1',
    id: o.id,
    name: o.name,
    generation: o.generation ?? 0,
    parentHash: null,
    // A per-voxel model: any plane as acquired (no reformat), so expected labels stay voxel-exact.
    input: { kind: '2d-slices', plane: 'any', size: o.size, pixelSpacing: o.pixelSpacing, normalization: { method: 'fixed', offset: 0, scale: 1 }, batchSize: o.batchSize },
    labels: THRESHOLD_LABELS,
    training: { origin: 'built-in' },
  };
}
