import type { ModelCard } from '../inference/model-card.js';
import type { ModelPackage } from '../inference/model-package.js';
import type { GenerationInfo, ModelRegistry } from '../inference/model-registry.js';
import { writeOnnx } from '../inference/onnx/onnx-io.js';
import { runGate, type GateDecision, type GateOptions, type GateSets } from './gate.js';
import type { Recipe } from './recipe.js';
import type { SliceSet } from './slice-set.js';
import { initTf } from './tf-backend.js';
import { TrainableOnnx } from './trainable-onnx.js';
import { fineTune, type TrainProgress, type TrainResult } from './trainer.js';

export interface Candidate {
  onnx: Buffer;
  card: ModelCard;
  training: TrainResult;
}

/**
 * Fine-tunes a model package on corrections and returns the candidate generation: the same graph
 * with updated initializers, card generation + 1, parent = the package's hash (lineage, DESIGN §5).
 */
export async function fineTuneCandidate(pkg: ModelPackage, corrections: GateSets['corrections'], r: Recipe, onProgress?: (p: TrainProgress) => void, rehearsal?: SliceSet): Promise<Candidate> {
  await initTf('wasm');
  const net = new TrainableOnnx(pkg.model, { outputName: pkg.outputName });
  try {
    // rehearsal: earlier accepted training slices mixed in (recipe.rehearsal per correction), never the benchmark set.
    const training = await fineTune(net, corrections, pkg.outputChannels, r, { onProgress, rehearsal });
    const onnx = writeOnnx(net.toOnnx());
    const card: ModelCard = {
      ...pkg.card,
      generation: pkg.card.generation + 1,
      parentHash: pkg.sha256,
      training: {
        origin: 'local-fine-tune', software: 'dafne-node', date: new Date().toISOString(), slices: corrections.count,
        notes: `Adam lr ${r.learningRate}, ${r.epochs} epochs, batch ${r.batchSize}, Dice ${r.diceWeight} + CE ${r.crossEntropyWeight}, L2 pull ${r.l2Pull}, rehearsal ${rehearsal && r.rehearsal > 0 ? `${r.rehearsal}× from ${rehearsal.count} slices` : 'none'}, BatchNorm ${r.trainBatchNorm ? 'trained' : 'frozen'}`,
      },
    };
    return { onnx, card, training };
  } finally {
    net.dispose();
  }
}

export interface CycleResult {
  candidate: Candidate;
  gate: GateDecision;
  /** The new generation when the gate accepted it (registered and, with `activate`, active). */
  registered: GenerationInfo | null;
}

/**
 * One learning cycle on the active generation of `modelId`: fine-tune, gate, and register the
 * candidate only if the gate accepts it; otherwise the active model stays and the decision says why.
 */
export async function learningCycle(registry: ModelRegistry, modelId: string, sets: GateSets, r: Recipe, opts: GateOptions & { activate?: boolean; actor?: string; onProgress?: (p: TrainProgress) => void; rehearsal?: SliceSet } = {}): Promise<CycleResult> {
  const active = await registry.active(modelId);
  const candidate = await fineTuneCandidate(active, sets.corrections, r, opts.onProgress, opts.rehearsal);
  const gate = await runGate(active.onnx, candidate.onnx, sets, active.card.labels.length, opts);
  candidate.card = { ...candidate.card, validation: Object.fromEntries(Object.entries(gate.candidate).map(([k, v]) => [`dice.${k}`, Number(v.toFixed(4))])) };
  let registered: GenerationInfo | null = null;
  if (gate.accepted) {
    registered = await registry.add({ onnx: candidate.onnx, card: candidate.card }, opts.actor ?? 'learning', { activate: opts.activate ?? true });
  }
  return { candidate, gate, registered };
}
