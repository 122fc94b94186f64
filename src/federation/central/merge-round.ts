import { createHash, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { ModelPackage } from '../../inference/model-package.js';
import type { ModelRegistry } from '../../inference/model-registry.js';
import { DeltaError, readDelta } from '../delta.js';
import { applyMerged, mergeDeltas, type MergeInput } from '../merge.js';
import type { CentralStore, Upload } from './central-store.js';
import { gateVerdict } from './gate-rule.js';
import type { ProposalStore } from './proposal-store.js';
import { publishGeneration, type Contribution } from './publish-generation.js';
import { propose } from './site-validation.js';
import { scaleUpdate } from './server-step.js';
import type { Score, Scorer } from './validation-set.js';

/**
 * One merge round of a model (docs/federation.md "Merge", "Central gate"):
 *  1. take every queued delta of the model (status → merging);
 *  2. per delta: verify again, find its base, skip it if empty, and SCREEN it: applied alone to the
 *     root it may lose at most screenEpsilon central Dice (a random, ×100 or sign-flipped delta fails
 *     here and cannot dilute into the merge);
 *  3. merge the survivors (each relative to its own base, weighted, clipped, trimmed mean / median);
 *  4. GATE the merged candidate against the current root with ε; accepted → a new generation (parent =
 *     root hash, contributors, validation, central signature); rejected → the reason, on every upload.
 *     With central.siteValidation (the default) the candidates are instead PROPOSED to the sites, whose
 *     validation reports decide (site-validation.ts); their uploads are 'validating' until then.
 * Every upload ends accepted / rejected / skipped with a reason the site reads at /uploads/:id.
 */
export type CentralConfig = Config['central'];

export interface RoundDeps {
  store: CentralStore;
  registry: ModelRegistry;
  scorer: Scorer;
  uploadsDir: string;
  key: KeyObject;
  config: CentralConfig;
  log: Logger;
  /** Merge proposals (site validation); without it the central gate decides alone. */
  proposals?: ProposalStore;
}

export interface RoundResult {
  modelId: string;
  rootGeneration: number;
  published: number | null;
  accepted: string[];
  rejected: string[];
  skipped: string[];
  rootScore: number;
  candidateScore: number | null;
  /** The server step of the published candidate (null: nothing published). */
  serverStep?: number | null;
  /** With site validation: the proposal waiting for the sites' reports. */
  proposed?: string;
}

const f4 = (x: number) => x.toFixed(4);

export function uploadFile(uploadsDir: string, uploadId: string): string {
  return path.join(uploadsDir, `${uploadId}.delta`);
}

export async function runMergeRound(deps: RoundDeps, modelId: string): Promise<RoundResult | null> {
  const { store, registry, scorer, config, log } = deps;
  const uploads = await store.uploadsWithStatus(modelId, 'queued');
  if (!uploads.length) return null;
  await store.setOutcome(uploads.map((u) => u.uploadId), 'merging', null);
  try {
    return await round(deps, modelId, uploads);
  } catch (err) {
    // An unexpected failure (scoring crashed, disk): the deltas go back to the queue for the next tick.
    log.error({ err, modelId }, 'merge round failed; deltas re-queued');
    await store.setOutcome(uploads.map((u) => u.uploadId), 'queued', null);
    throw err;
  }

  async function round(d: RoundDeps, id: string, batch: Upload[]): Promise<RoundResult> {
    const root = await registry.active(id);
    const card = root.card;
    const rootScore = await scorer.score(card, root.onnx, root.sha256);
    const result: RoundResult = { modelId: id, rootGeneration: card.generation, published: null, accepted: [], rejected: [], skipped: [], rootScore: rootScore.mean, candidateScore: null };
    const sites = new Map((await store.sites()).map((s) => [s.siteId, s]));
    const generations = await registry.generations(id);
    const reject = async (u: Upload, reason: string, detail: Record<string, unknown> | null = null) => {
      await store.setOutcome([u.uploadId], 'rejected', reason, null, detail);
      result.rejected.push(u.uploadId);
    };
    const skip = async (u: Upload, reason: string) => {
      await store.setOutcome([u.uploadId], 'skipped', reason);
      result.skipped.push(u.uploadId);
    };

    const survivors: { upload: Upload; input: MergeInput; alone: Score }[] = [];
    for (const u of batch) {
      const site = sites.get(u.siteId);
      if (!site || site.revokedAt) {
        await reject(u, `site "${u.siteId}" was revoked before the merge`);
        continue;
      }
      if (site.excludedAt) {
        await reject(u, `site "${u.siteId}" is excluded from merges by the central operator${site.excludedReason ? ` (${site.excludedReason})` : ''}; the delta was not merged`);
        continue;
      }
      const base = generations.find((g) => g.sha256 === u.baseSha256);
      if (!base) {
        await reject(u, `base generation ${u.baseSha256.slice(0, 12)}… is no longer in the registry`);
        continue;
      }
      let tensors: Map<string, Float32Array>;
      try {
        ({ tensors } = readDelta(await readFile(uploadFile(d.uploadsDir, u.uploadId)), site.publicKeyPem));
      } catch (e) {
        // Verified at upload: failing now means the stored file was damaged.
        if (!(e instanceof DeltaError)) throw e;
        await reject(u, `the stored delta no longer verifies (${e.message})`);
        continue;
      }
      const basePkg: ModelPackage = await registry.package(id, base.generation);
      const input: MergeInput = { id: u.uploadId, weight: u.trainingSlices, tensors, base: basePkg.model };
      // Empty / weightless / invalid-BN checks are the merge's own; run it on the delta alone.
      const single = mergeDeltas(root.model, [input], { aggregation: 'mean' });
      if (single.report.skipped.length) {
        await skip(u, single.report.skipped[0]!.reason);
        continue;
      }
      const aloneOnnx = applyMerged(root.onnx, single);
      const alone = await scorer.score(card, aloneOnnx);
      const loss = rootScore.mean - alone.mean;
      if (!(loss <= config.screenEpsilon)) {
        await reject(
          u,
          `screening: applied alone to generation ${card.generation}, this delta changes central validation Dice ${f4(rootScore.mean)} → ${f4(alone.mean)} (−${f4(loss)}, more than the allowed ${config.screenEpsilon}); it was not merged`,
          { rootDice: rootScore.mean, aloneDice: alone.mean, screenEpsilon: config.screenEpsilon },
        );
        continue;
      }
      survivors.push({ upload: u, input, alone });
    }
    if (!survivors.length) return result;

    const merged = mergeDeltas(root.model, survivors.map((s) => s.input), {
      aggregation: config.aggregation,
      trimFraction: config.trimFraction,
      clipMultiplier: config.clipMultiplier,
      maxNorm: config.maxNorm,
    });
    const ids = survivors.map((s) => s.upload.uploadId);
    const contributions: Contribution[] = survivors.map((s) => ({ uploadId: s.upload.uploadId, siteId: s.upload.siteId, weight: s.input.weight, series: s.upload.manifest.trainingSeries }));
    const validating = config.siteValidation.enabled && d.proposals !== undefined;
    // The merged update at each configured server step in turn (1 = the full update). Without site
    // validation the first candidate the central gate accepts (ε, pooled and per contrast) is
    // published. With it, every step within screenEpsilon of the root on the central set is proposed
    // to the sites, which decide at ε on their own data (site-validation.ts): the central set is a
    // sample of nobody's population, and held to ε it both refused good windows and passed harmful ones.
    const tried: { step: number; onnx: Buffer; score: Score; reason: string | null }[] = [];
    for (const step of config.serverSteps) {
      const onnx = applyMerged(root.onnx, scaleUpdate(merged, step));
      // By hash: a published candidate is the next round's root, whose score is then not computed again.
      const score = await scorer.score(card, onnx, createHash('sha256').update(onnx).digest('hex'));
      const gate = gateVerdict(rootScore, score, validating ? config.screenEpsilon : config.epsilon);
      tried.push({ step, onnx, score, reason: gate.reason });
      if (gate.accepted && !validating) break;
    }
    const last = tried[tried.length - 1]!;
    const describe = (t: (typeof tried)[number]) => {
      const change = t.score.mean - rootScore.mean;
      return `${t.step === 1 ? '' : `at server step ${t.step}: `}central validation Dice ${f4(rootScore.mean)} → ${f4(t.score.mean)} (${change >= 0 ? '+' : '−'}${f4(Math.abs(change))})`;
    };
    const history = tried.map((t) => `${describe(t)}${t.reason ? ` ${t.reason}` : ''}`).join('; ');
    const verdict = `merged candidate of ${survivors.length} delta(s): ${history}`;
    const perUpload = (s: (typeof survivors)[number]) => ({
      rootPerContrast: rootScore.perContrast,
      candidatePerContrast: last.score.perContrast,
      rootDice: rootScore.mean,
      aloneDice: s.alone.mean,
      candidateDice: last.score.mean,
      epsilon: config.epsilon,
      scaledBy: merged.report.used.find((x) => x.id === s.upload.uploadId)?.scaledBy ?? 1,
      windowSize: survivors.length,
      serverSteps: tried.map((t) => ({ step: t.step, dice: t.score.mean, perContrast: t.score.perContrast, accepted: t.reason === null })),
    });
    const passing = tried.filter((t) => t.reason === null);
    result.candidateScore = (passing[0] ?? last).score.mean;
    if (!passing.length) {
      for (const s of survivors) await store.setOutcome([s.upload.uploadId], 'rejected', `central gate: ${verdict} against generation ${card.generation}`, null, perUpload(s));
      result.rejected.push(...ids);
      return result;
    }
    const mergeReport = { ...merged.report, uploads: ids, screened: result.rejected.length, serverStepsTried: tried.map((t) => ({ step: t.step, dice: t.score.mean, perContrast: t.score.perContrast, reason: t.reason })) };
    if (validating) {
      const p = await propose({ ...d, proposals: d.proposals! }, { modelId: id, generation: card.generation, sha256: root.sha256 }, passing, { contributions, rootScore, stepScores: passing.map((t) => t.score), mergeReport, aggregation: config.aggregation });
      result.proposed = p.proposalId;
      return result;
    }
    const chosen = passing[0]!;
    result.serverStep = chosen.step;
    const pub = await publishGeneration(d, { root, candidate: chosen.onnx, step: chosen.step, contributions, rootScore, candidateScore: chosen.score, mergeReport: { ...mergeReport, serverStep: chosen.step }, aggregation: config.aggregation });
    for (const s of survivors) await store.setOutcome([s.upload.uploadId], 'accepted', `${verdict}, within ε ${config.epsilon}: published as generation ${pub.generation}`, pub.generation, perUpload(s));
    result.accepted.push(...ids);
    result.published = pub.generation;
    return result;
  }
}
