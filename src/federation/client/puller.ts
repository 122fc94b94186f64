import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../../db/data-source.js';
import type { ModelCard } from '../../inference/model-card.js';
import type { GenerationInfo, ModelRegistry } from '../../inference/model-registry.js';
import { evaluateDice } from '../../learning/evaluate.js';
import type { SliceSet } from '../../learning/slice-set.js';
import { verify } from '../signing.js';
import { CentralError, type CentralApi, type CentralGeneration } from './central-api.js';

/**
 * Fetching central generations (docs/federation.md "Node client"): download, check hash and the
 * central key's signature, run the local gate, register with lineage and activate. Activation is one
 * row in the registry's activation history, and an inference job takes the active package once at
 * its start, so a job in flight finishes on the generation it began with (the hot swap is atomic).
 */
export interface LocalSets {
  heldOut?: SliceSet;
  benchmark?: SliceSet;
}

export interface PullDeps {
  db: Database;
  registry: ModelRegistry;
  api: () => CentralApi;
  log: Logger;
  centralPublicKey: string | KeyObject;
  epsilon: number;
  /** The site's own validation data for the gate (held-out corrections, frozen benchmark). */
  localSets?: (modelId: string) => Promise<LocalSets>;
}

export type PullOutcomeKind = 'installed' | 'up-to-date' | 'rejected' | 'refused' | 'unreachable';

export interface PullOutcome {
  modelId: string;
  outcome: PullOutcomeKind;
  centralGeneration?: number;
  sha256?: string;
  localGeneration?: number;
  reasons: string[];
  /** Mean Dice of the active and the pulled model on each local set (the gate's numbers). */
  scores?: Record<string, { active: number; candidate: number }>;
}

/** Thrown inside a pull for a generation that must not be installed (bad hash / signature / lineage). */
class Refused extends Error {}

export class GenerationPuller {
  constructor(private readonly d: PullDeps) {}

  async pull(modelId: string): Promise<PullOutcome> {
    const out = await this.pullInner(modelId).catch((err: Error): PullOutcome => {
      if (err instanceof Refused) return { modelId, outcome: 'refused', reasons: [err.message] };
      if (err instanceof CentralError && err.retryable) return { modelId, outcome: 'unreachable', reasons: [err.message] };
      throw err;
    });
    await this.d.db.dataSource.query(`INSERT INTO federation_pull (model_id, outcome, central_generation, sha256, local_generation, reason) VALUES ($1, $2, $3, $4, $5, $6)`, [
      modelId,
      out.outcome,
      out.centralGeneration ?? null,
      out.sha256 ?? null,
      out.localGeneration ?? null,
      out.reasons.join('; ') || null,
    ]);
    const line = { model: modelId, outcome: out.outcome, central: out.centralGeneration, local: out.localGeneration };
    if (out.outcome === 'refused' || out.outcome === 'rejected') this.d.log.warn(line, `federation pull: ${out.reasons.join('; ')}`);
    else this.d.log.info(line, 'federation pull');
    return out;
  }

  private async pullInner(modelId: string): Promise<PullOutcome> {
    const { registry, api } = this.d;
    const info = await api().model(modelId);
    const latest = info.generations.reduce<CentralGeneration | undefined>((a, g) => (!a || g.generation > a.generation ? g : a), undefined);
    if (!latest) return { modelId, outcome: 'up-to-date', reasons: ['the central server has no generation of this model'] };
    const local = await registry.generations(modelId);
    const bySha = new Map(local.map((g) => [g.sha256, g]));
    const have = bySha.get(latest.sha256);
    if (have) {
      const why = have.active ? 'already active' : `registered as local generation ${have.generation} but not active (refused by the local gate or rolled back); not activated again`;
      return { modelId, outcome: 'up-to-date', centralGeneration: latest.generation, sha256: latest.sha256, localGeneration: have.generation, reasons: [why] };
    }
    // Generations between what we have and the latest are registered too (inactive): lineage needs every parent.
    const chain = this.missingChain(info.generations, latest, bySha);
    const active = await registry.active(modelId);
    let registered: GenerationInfo | undefined;
    let nextLocal = Math.max(...local.map((g) => g.generation)) + 1;
    for (const g of chain) {
      const onnx = await this.download(modelId, g);
      const card = this.cardFor(active.card, g, nextLocal++, await api().card(modelId, g.generation).catch(() => undefined));
      if (g !== latest) {
        await registry.add({ onnx, card }, 'federation', { activate: false });
        continue;
      }
      const gate = await this.gate(modelId, active.onnx, onnx, active.card.labels.length);
      card.validation = Object.fromEntries(Object.entries(gate.scores).map(([k, v]) => [`local.dice.${k}`, Number(v.candidate.toFixed(4))]));
      registered = await registry.add({ onnx, card }, 'federation', { activate: gate.accepted });
      return {
        modelId,
        outcome: gate.accepted ? 'installed' : 'rejected',
        centralGeneration: g.generation,
        sha256: g.sha256,
        localGeneration: registered.generation,
        reasons: gate.reasons,
        scores: gate.scores,
      };
    }
    throw new Error('unreachable: the chain ends with the latest generation');
  }

  private missingChain(all: CentralGeneration[], latest: CentralGeneration, local: Map<string, GenerationInfo>): CentralGeneration[] {
    const bySha = new Map(all.map((g) => [g.sha256, g]));
    const chain: CentralGeneration[] = [];
    for (let g: CentralGeneration | undefined = latest; g; g = g.parentSha256 ? bySha.get(g.parentSha256) : undefined) {
      if (local.has(g.sha256)) return chain.reverse();
      chain.push(g);
      if (g.parentSha256 && !bySha.has(g.parentSha256) && !local.has(g.parentSha256)) break;
    }
    throw new Refused(`central generation ${latest.generation}: its lineage reaches no generation this node has (different root model?)`);
  }

  private async download(modelId: string, g: CentralGeneration): Promise<Buffer> {
    const dl = await this.d.api().download(modelId, g.generation);
    if (dl.sha256 !== g.sha256 || (dl.sha256Header && dl.sha256Header.toLowerCase() !== g.sha256))
      throw new Refused(`central generation ${g.generation}: downloaded bytes hash to ${dl.sha256.slice(0, 12)}…, expected ${g.sha256.slice(0, 12)}…`);
    if (!this.d.centralPublicKey) throw new Refused(`central generation ${g.generation}: no central public key configured (federation.centralPublicKeyPem / centralPublicKeyFile); nothing unverified is installed`);
    if (!dl.signature || !verify(dl.onnx, dl.signature, this.d.centralPublicKey))
      throw new Refused(`central generation ${g.generation}: ${dl.signature ? 'the signature does not verify with the configured central public key' : 'no X-Dafne-Signature header'}`);
    return dl.onnx;
  }

  /**
   * The local card of a pulled generation: input, labels and post-processing come from this node's
   * own (trusted) card of the model — the central card is not signed, and a generation only changes
   * weights — while generation numbers stay local (the registry numbers every generation of a model,
   * local fine-tunes included) and the central number is kept in the notes.
   */
  private cardFor(base: ModelCard, g: CentralGeneration, localGeneration: number, central: unknown): ModelCard {
    const c = (central ?? {}) as Partial<ModelCard>;
    return {
      ...base,
      generation: localGeneration,
      parentHash: g.parentSha256,
      training: {
        origin: 'central-merge',
        software: c.training?.software ?? 'dafne-node central',
        date: g.createdAt ?? c.training?.date,
        slices: c.training?.slices,
        series: c.training?.series,
        notes: `central generation ${g.generation}${g.contributors?.length ? `, contributors: ${g.contributors.join(', ')}` : ''}`,
      },
      validation: undefined,
    };
  }

  private async gate(modelId: string, activeOnnx: Uint8Array, candidate: Uint8Array, labels: number): Promise<{ accepted: boolean; reasons: string[]; scores: Record<string, { active: number; candidate: number }> }> {
    const sets = (await this.d.localSets?.(modelId)) ?? {};
    const reasons: string[] = [];
    const scores: Record<string, { active: number; candidate: number }> = {};
    let accepted = true;
    for (const name of ['heldOut', 'benchmark'] as const) {
      const set = sets[name];
      if (!set || set.count === 0) {
        reasons.push(`${name}: no local slices (check skipped)`);
        continue;
      }
      const a = (await evaluateDice(activeOnnx, set, labels)).mean;
      const c = (await evaluateDice(candidate, set, labels)).mean;
      scores[name] = { active: a, candidate: c };
      const ok = c - a >= -this.d.epsilon;
      if (!ok) accepted = false;
      reasons.push(`${name}: ${a.toFixed(4)} → ${c.toFixed(4)} (${c >= a ? '+' : '−'}${Math.abs(c - a).toFixed(4)}${ok ? `, within ε ${this.d.epsilon}` : `, loses more than ε ${this.d.epsilon}`})`);
    }
    return { accepted, reasons, scores };
  }
}
