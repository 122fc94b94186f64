import { parentPort, workerData } from 'node:worker_threads';
import type { ModelCard } from '../inference/model-card.js';
import { validateModelPackage } from '../inference/model-package.js';
import type { FineTuneMessage } from './fine-tune-thread.js';
import { fineTuneCandidate } from './learning-cycle.js';
import type { Recipe } from './recipe.js';
import type { SliceSet } from './slice-set.js';

/** Worker entry of fine-tune-thread.ts: one fine-tune, then the candidate (or the error) back. */
const { onnx, card, corrections, recipe, rehearsal } = workerData as { onnx: Uint8Array; card: ModelCard; corrections: SliceSet; recipe: Recipe; rehearsal?: SliceSet };
const port = parentPort!;
try {
  const pkg = validateModelPackage(onnx, card);
  const c = await fineTuneCandidate(pkg, corrections, recipe, (p) => port.postMessage({ type: 'progress', p } satisfies FineTuneMessage), rehearsal);
  port.postMessage({ type: 'done', onnx: c.onnx, card: c.card, training: c.training } satisfies FineTuneMessage);
} catch (err) {
  port.postMessage({ type: 'error', message: (err as Error).message } satisfies FineTuneMessage);
}
