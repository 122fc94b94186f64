import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { ModelRegistry } from '../../inference/model-registry.js';
import { evaluateDice } from '../../learning/evaluate.js';
import { verify } from '../signing.js';
import type { CentralApi, ReportScores } from './central-api.js';
import type { LocalSets } from './puller.js';

/**
 * The site's half of site validation (docs/federation.md "Site validation"): for every open proposal
 * of a model this node has, score the proposal's root and each proposed step on the local held-out
 * and benchmark sets, and report the numbers. Like with like: the root is the proposal's own (the
 * central generation the window merged into), not whatever this node runs, so every site reports the
 * change the central server would publish. Only mean Dice and slice counts leave the site.
 */
export interface ValidatorDeps {
  registry: ModelRegistry;
  api: () => CentralApi;
  log: Logger;
  centralPublicKey: string | KeyObject;
  localSets?: (modelId: string) => Promise<LocalSets>;
}

export class ProposalValidator {
  constructor(private readonly d: ValidatorDeps) {}

  /** Validates what is open and not yet reported by this site; returns how many reports were sent. */
  async validateAll(): Promise<number> {
    let sent = 0;
    for (const m of await this.d.registry.list()) {
      for (const p of await this.d.api().proposals(m.id)) {
        if (p.reported) continue;
        if (await this.validate(m.id, p.proposalId, p.rootSha256, p.steps)) sent++;
      }
    }
    return sent;
  }

  private async validate(modelId: string, proposalId: string, rootSha256: string, steps: { sha256: string }[]): Promise<boolean> {
    const root = (await this.d.registry.generations(modelId)).find((g) => g.sha256 === rootSha256);
    // A root this node never pulled: the next pull brings it; until then there is nothing to compare with.
    if (!root) {
      this.d.log.info({ model: modelId, proposal: proposalId }, 'federation: proposal on a root this node does not have yet; validated after the next pull');
      return false;
    }
    const sets = (await this.d.localSets?.(modelId)) ?? {};
    const named = (['heldOut', 'benchmark'] as const).filter((k) => (sets[k]?.count ?? 0) > 0);
    if (!named.length) return false; // nothing local to score on: this site cannot speak for its data
    const rootPkg = await this.d.registry.package(modelId, root.generation);
    const labels = rootPkg.card.labels.length;
    const candidates: Buffer[] = [];
    for (const [k, s] of steps.entries()) {
      const dl = await this.d.api().downloadProposal(proposalId, k);
      // The same checks as a pulled generation: the bytes are the listed ones, signed by the configured key.
      if (dl.sha256 !== s.sha256 || !this.d.centralPublicKey || !dl.signature || !verify(dl.onnx, dl.signature, this.d.centralPublicKey)) {
        this.d.log.warn({ model: modelId, proposal: proposalId, step: k }, 'federation: a proposed candidate failed its hash or signature check; not validated');
        return false;
      }
      candidates.push(dl.onnx);
    }
    const report: { heldOut?: ReportScores; benchmark?: ReportScores } = {};
    for (const name of named) {
      const set = sets[name]!;
      const rootDice = (await evaluateDice(rootPkg.onnx, set, labels)).mean;
      const stepDice: number[] = [];
      for (const c of candidates) stepDice.push((await evaluateDice(c, set, labels)).mean);
      report[name] = { slices: set.count, root: rootDice, steps: stepDice };
    }
    await this.d.api().report(proposalId, report);
    this.d.log.info({ model: modelId, proposal: proposalId, heldOut: report.heldOut }, 'federation: proposal validated and reported');
    return true;
  }
}
