import { parseModelCard } from '../src/inference/model-card.js';
import { validateModelPackage, type ModelPackage } from '../src/inference/model-package.js';
import { writeOnnx } from '../src/inference/onnx/onnx-io.js';
import { tinyUNet } from '../src/inference/onnx/test-models.js';
import { LEG_LABELS } from '../src/phantom/leg-labels.js';

/**
 * The network the inference benchmarks run: a 4-level 2D U-Net, base 16 filters (the size
 * notes/engine.md measured), 256×256 input at 1 mm, the six Leg muscles. Untrained weights: the
 * benchmark measures time, not Dice.
 */
export function benchModel(): ModelPackage {
  const muscles = LEG_LABELS.filter((l) => l.value <= 6);
  const card = parseModelCard({
    schema: 'dafne-model-card/1',
    id: 'bench-unet',
    name: 'Benchmark U-Net',
    generation: 0,
    parentHash: null,
    input: { kind: '2d-slices', size: [256, 256], pixelSpacing: [1, 1], normalization: { method: 'zscore', scope: 'volume' }, batchSize: 4 },
    labels: muscles.map((l) => ({ value: l.value, name: l.name, category: l.category, type: l.type, color: l.color })),
    training: { origin: 'built-in' },
  });
  return validateModelPackage(writeOnnx(tinyUNet({ classes: muscles.length + 1, base: 16, depth: 4, seed: 7, batchNorm: 'random' })), card);
}
