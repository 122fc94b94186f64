import type { ModelCard } from '../../inference/model-card.js';
import type { ModelPackage } from '../../inference/model-package.js';
import { VERSION } from '../../version.js';
import { sign } from '../signing.js';
import type { RoundDeps } from './merge-round.js';
import type { Score } from './validation-set.js';

/**
 * Publishing a merged candidate as the next generation (docs/federation.md "Merge", step 5): one
 * place for it, whether the central gate decided alone (central.siteValidation off) or the sites'
 * validation reports decided (site-validation.ts). The registry activates it: it is the new root.
 */
export interface Contribution {
  uploadId: string;
  siteId: string;
  weight: number;
  series: number;
}

export interface PublishInput {
  root: Pick<ModelPackage, 'card' | 'sha256'>;
  candidate: Buffer;
  step: number;
  contributions: Contribution[];
  rootScore: Score;
  candidateScore: Score;
  mergeReport: Record<string, unknown>;
  aggregation: string;
  /** The sites' validation reports the decision rested on (absent: the central gate alone). */
  siteReports?: Record<string, unknown>;
}

export async function publishGeneration(deps: Pick<RoundDeps, 'registry' | 'store' | 'scorer' | 'key' | 'config' | 'log'>, p: PublishInput): Promise<{ generation: number; sha256: string; contributors: string[] }> {
  const { card } = p.root;
  const contributors = [...new Set(p.contributions.map((c) => c.siteId))].sort();
  const generation = card.generation + 1;
  const newCard: ModelCard = {
    ...card,
    generation,
    parentHash: p.root.sha256,
    training: {
      origin: 'central-merge',
      software: `dafne-node ${VERSION}`,
      slices: p.contributions.reduce((n, c) => n + c.weight, 0),
      series: p.contributions.reduce((n, c) => n + c.series, 0),
      notes: `central merge of ${p.contributions.length} delta(s) from ${contributors.join(', ')} (${p.aggregation}${p.step === 1 ? '' : `, server step ${p.step}`})`,
    },
    validation: { centralDice: p.candidateScore.mean, parentCentralDice: p.rootScore.mean },
  };
  const info = await deps.registry.add({ onnx: p.candidate, card: newCard }, 'central-merge', { activate: true });
  await deps.store.recordGeneration({
    modelId: card.id,
    generation,
    sha256: info.sha256,
    signature: sign(p.candidate, deps.key).toString('base64'),
    contributors,
    validation: {
      set: deps.scorer.describe(card),
      centralDice: p.candidateScore.mean,
      perLabel: p.candidateScore.perLabel,
      parentCentralDice: p.rootScore.mean,
      perContrast: p.candidateScore.perContrast,
      parentPerContrast: p.rootScore.perContrast,
      epsilon: deps.config.epsilon,
      ...(p.siteReports ? { siteReports: p.siteReports } : {}),
    },
    mergeReport: p.mergeReport,
  });
  deps.log.info({ modelId: card.id, generation, contributors, serverStep: p.step, centralDice: p.candidateScore.mean, parentCentralDice: p.rootScore.mean, sha256: info.sha256.slice(0, 12) }, 'published a new generation');
  return { generation, sha256: info.sha256, contributors };
}
