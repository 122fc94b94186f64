import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Database } from '../../db/data-source.js';
import type { GenerationInfo, ModelRegistry } from '../../inference/model-registry.js';
import { VERSION } from '../../version.js';
import { makeDelta, type DeltaInfo } from '../delta.js';
import { loadOrCreateSiteKey } from '../signing.js';
import { CentralApi } from './central-api.js';
import { ProposalValidator } from './proposal-validator.js';
import { GenerationPuller, type LocalSets, type PullOutcome } from './puller.js';
import { UploadQueue, type UploadRow } from './upload-queue.js';

export type FederationConfig = Config['federation'];

export class FederationConfigError extends Error {}

/** What the node tells the central server about a locally accepted candidate (counts and scores only). */
export interface CandidateInfo {
  trainingSlices: number;
  trainingSeries: number;
  localGate: DeltaInfo['localGate'];
}

export interface FederationStatus {
  enabled: boolean;
  centralUrl: string | null;
  siteId: string | null;
  /** This site's ed25519 public key: the central operator registers it (`central site add NAME --public-key FILE`). */
  publicKeyPem: string;
  upload: boolean;
  queue: Record<string, number>;
  nextAttemptAt: string | null;
  uploads: UploadRow[];
  lastPull: { modelId: string; at: string; outcome: string; centralGeneration: number | null; localGeneration: number | null; reason: string | null }[];
  pullSchedule: string;
}

/**
 * The node's federation client (issue 7 item 5): push a delta of each locally accepted candidate
 * (durably queued, retried with backoff) and pull new central generations on a schedule.
 */
export class FederationClient {
  readonly queue: UploadQueue;
  readonly puller: GenerationPuller;
  readonly validator: ProposalValidator;
  private readonly key: { publicKeyPem: string; privateKey: KeyObject };
  private api?: CentralApi;
  private task?: ScheduledTask;
  private timer?: NodeJS.Timeout;
  private pumping?: Promise<void>;
  private pulling?: Promise<PullOutcome[]>;
  private stopped = false;

  constructor(
    private readonly cfg: FederationConfig,
    private readonly deps: { db: Database; registry: ModelRegistry; log: Logger; dataDir: string; localSets?: (modelId: string) => Promise<LocalSets> },
  ) {
    this.key = loadOrCreateSiteKey(path.join(deps.dataDir, 'federation'));
    const api = () => {
      if (!cfg.centralUrl) throw new FederationConfigError('federation.centralUrl is not configured');
      return (this.api ??= new CentralApi({ url: cfg.centralUrl, token: cfg.token }));
    };
    this.queue = new UploadQueue(deps.db, api, deps.log, cfg);
    this.puller = new GenerationPuller({ db: deps.db, registry: deps.registry, api, log: deps.log, centralPublicKey: centralKey(cfg), epsilon: cfg.epsilon, localSets: deps.localSets });
    this.validator = new ProposalValidator({ registry: deps.registry, api, log: deps.log, centralPublicKey: centralKey(cfg), localSets: deps.localSets });
  }

  get enabled(): boolean {
    return Boolean(this.cfg.centralUrl && this.cfg.siteId);
  }

  /** This site's public key (the central operator registers it with `central site add --public-key`). */
  get publicKeyPem(): string {
    return this.key.publicKeyPem;
  }

  /**
   * After the local gate accepted `candidate` (fine-tuned from a generation of `modelId`): the delta
   * against its nearest ancestor the central server knows (a central generation or the root), signed
   * and queued. Returns the queue row id, or null when uploads are off.
   */
  async federateCandidate(modelId: string, candidateOnnx: Buffer, parentSha256: string, info: CandidateInfo): Promise<string | null> {
    if (!this.cfg.upload || !this.enabled) return null;
    const base = federationBase(await this.deps.registry.generations(modelId), parentSha256);
    const basePkg = await this.deps.registry.package(modelId, base.generation);
    const file = makeDelta(Buffer.from(basePkg.onnx), candidateOnnx, { modelId, siteId: this.cfg.siteId!, ...info, software: `dafne-node ${VERSION}`, encoding: this.cfg.encoding }, this.key.privateKey);
    // Governance (docs/federation.md "Governance"): without autoApprove a site admin approves each delta.
    const id = await this.queue.enqueue(file, this.cfg.autoApprove ? 'auto-approval (federation.autoApprove)' : null);
    this.kick();
    return id;
  }

  /** Pulls every local model the central server also has (what the schedule runs). */
  pullAll(): Promise<PullOutcome[]> {
    this.pulling ??= (async () => {
      try {
        const out: PullOutcome[] = [];
        const models = (await this.deps.registry.list()).map((m) => m.id);
        for (const id of models) out.push(await this.puller.pull(id));
        return out;
      } finally {
        this.pulling = undefined;
      }
    })();
    return this.pulling;
  }

  /** One pass of the upload loop: send what is due, then ask for outcomes. Never throws (logged). */
  pump(): Promise<void> {
    this.pumping ??= (async () => {
      try {
        await this.queue.drain();
        await this.queue.refreshOutcomes();
        // The central server's merge proposals wait for this site's scores (site validation).
        if (this.cfg.validateProposals) await this.validator.validateAll();
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message }, 'federation: upload loop');
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  /** Starts the pull schedule (node-cron) and the upload loop; the queue is in the database, so a restart resumes it. */
  start(): void {
    if (!this.enabled) return;
    this.task = cron.schedule(this.cfg.pullSchedule, () => void this.pullAll().catch((err: Error) => this.deps.log.warn({ err: err.message }, 'federation: pull')), { timezone: this.cfg.timezone, noOverlap: true });
    const loop = () => {
      if (this.stopped) return;
      void this.pump().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.cfg.uploadIntervalSeconds * 1000);
      });
    };
    loop();
  }

  /** Runs the upload loop now (a new delta should not wait for the next interval). */
  kick(): void {
    void this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.task?.stop();
    await this.pumping;
    await this.pulling?.catch(() => undefined);
  }

  async status(): Promise<FederationStatus> {
    const pulls = (await this.deps.db.dataSource.query(
      `SELECT DISTINCT ON (model_id) model_id AS "modelId", at, outcome, central_generation AS "centralGeneration", local_generation AS "localGeneration", reason FROM federation_pull ORDER BY model_id, id DESC`,
    )) as FederationStatus['lastPull'];
    const next = await this.queue.nextDue();
    return {
      enabled: this.enabled,
      centralUrl: this.cfg.centralUrl ?? null,
      siteId: this.cfg.siteId ?? null,
      publicKeyPem: this.key.publicKeyPem,
      upload: this.cfg.upload,
      queue: await this.queue.counts(),
      nextAttemptAt: next ? next.toISOString() : null,
      uploads: await this.queue.list(20),
      lastPull: pulls.map((p) => ({ ...p, at: new Date(p.at).toISOString() })),
      pullSchedule: this.cfg.pullSchedule,
    };
  }

  /** A site admin approves (or declines) an outgoing delta; null when no such delta awaits approval. */
  async decideUpload(id: string, approve: boolean, actor: string): Promise<UploadRow | null> {
    const row = await this.queue.decide(id, approve, actor);
    if (row && approve) this.kick();
    return row;
  }

  /** Rolls the model back to the generation active before (a pulled generation misbehaving in use). */
  rollback(modelId: string, actor: string, reason?: string): Promise<GenerationInfo> {
    return this.deps.registry.rollback(modelId, actor, reason ?? 'federation rollback');
  }
}

/** Nearest ancestor (or itself) the central server knows: a central generation or a root. */
export function federationBase(generations: GenerationInfo[], sha256: string): GenerationInfo {
  const bySha = new Map(generations.map((g) => [g.sha256, g]));
  for (let g = bySha.get(sha256); g; g = g.parentSha256 ? bySha.get(g.parentSha256) : undefined) {
    if (g.origin === 'central-merge' || g.parentSha256 === null) return g;
  }
  throw new FederationConfigError(`generation ${sha256.slice(0, 12)}… has no central or root ancestor in the registry`);
}

function centralKey(cfg: FederationConfig): string {
  if (cfg.centralPublicKeyPem) return cfg.centralPublicKeyPem;
  if (cfg.centralPublicKeyFile) return readFileSync(cfg.centralPublicKeyFile, 'utf8');
  // No key: nothing pulled can verify, so nothing is installed (refused with this reason).
  return '';
}
