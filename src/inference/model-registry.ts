import { createHash } from 'node:crypto';
import type { BlobStore } from '../archive/blob-store.js';
import type { Database } from '../db/data-source.js';
import { Model, ModelActivation, ModelGeneration } from '../db/entities/model.js';
import { parseModelCard, type ModelCard } from './model-card.js';
import { validateModelPackage, type ModelPackage, type ModelPackageSource, loadModelPackage } from './model-package.js';

export class ModelRegistryError extends Error {
  constructor(message: string, readonly code: 'not-found' | 'conflict' | 'lineage' | 'no-history') {
    super(message);
    this.name = 'ModelRegistryError';
  }
}

export interface GenerationInfo {
  modelId: string;
  generation: number;
  sha256: string;
  parentSha256: string | null;
  origin: string;
  createdAt: Date;
  active: boolean;
}

export interface ModelSummary {
  id: string;
  name: string;
  active: GenerationInfo | null;
  generations: GenerationInfo[];
}

/**
 * The model registry (issue 3): generations of each model, stored in the blob store by content
 * (model.onnx and model.json), with lineage (parent hash) and an append-only activation history.
 * Every package is validated on the way in, so nothing unusable can become active.
 */
/**
 * Packages kept in memory per model (most recently used): the active generation and one more (a
 * shadow candidate, the base of a delta). Every generation a node ever loaded or added stayed
 * cached before, each with its model.onnx bytes and decoded graph, so a node that learns nightly
 * grew by a model's size per generation (docs/operations.md#memory).
 */
export const PACKAGES_KEPT_PER_MODEL = 2;

export class ModelRegistry {
  /** By sha256, in order of last use. */
  private readonly cache = new Map<string, ModelPackage>();

  constructor(private readonly db: Database, private readonly blobs: BlobStore) {}

  /** Adds a package as a new generation; the first generation of a model becomes active. */
  async add(source: ModelPackageSource, actor: string, opts: { activate?: boolean } = {}): Promise<GenerationInfo> {
    const pkg = await loadModelPackage(source);
    const cardJson = Buffer.from(JSON.stringify(pkg.card, null, 2));
    await this.blobs.put(pkg.onnx, undefined, pkg.sha256);
    const cardBlob = await this.blobs.put(cardJson);
    const card = pkg.card;
    const info = await this.db.transaction(async (m) => {
      let model = await m.findOneBy(Model, { id: card.id });
      if (!model) model = await m.save(m.create(Model, { id: card.id, name: card.name }));
      const same = await m.findOneBy(ModelGeneration, { modelId: card.id, sha256: pkg.sha256 });
      if (same) throw new ModelRegistryError(`model ${card.id}: this model.onnx (${pkg.sha256.slice(0, 12)}…) is already generation ${same.generation}`, 'conflict');
      const clash = await m.findOneBy(ModelGeneration, { modelId: card.id, generation: card.generation });
      if (clash) throw new ModelRegistryError(`model ${card.id} already has a generation ${card.generation} (${clash.sha256.slice(0, 12)}…)`, 'conflict');
      if (card.parentHash) {
        const parent = await m.findOneBy(ModelGeneration, { modelId: card.id, sha256: card.parentHash });
        if (!parent) throw new ModelRegistryError(`model ${card.id}: parent generation ${card.parentHash.slice(0, 12)}… is not in this registry`, 'lineage');
        if (parent.generation >= card.generation) throw new ModelRegistryError(`model ${card.id}: generation ${card.generation} must be after its parent's (${parent.generation})`, 'lineage');
      }
      const gen = await m.save(
        m.create(ModelGeneration, { modelId: card.id, generation: card.generation, sha256: pkg.sha256, parentSha256: card.parentHash, card, cardSha256: cardBlob.key, origin: card.training.origin }),
      );
      const hasActive = (await m.countBy(ModelActivation, { modelId: card.id })) > 0;
      if (opts.activate || !hasActive) await m.save(m.create(ModelActivation, { modelId: card.id, generationId: gen.id, action: 'add', actor, reason: null }));
      return gen;
    });
    this.remember(pkg);
    return (await this.generations(card.id)).find((g) => g.sha256 === info.sha256)!;
  }

  async list(): Promise<ModelSummary[]> {
    const models = await this.db.dataSource.getRepository(Model).find({ order: { id: 'ASC' } });
    const out: ModelSummary[] = [];
    for (const model of models) {
      const generations = await this.generations(model.id);
      out.push({ id: model.id, name: model.name, active: generations.find((g) => g.active) ?? null, generations });
    }
    return out;
  }

  async generations(modelId: string): Promise<GenerationInfo[]> {
    const rows = await this.db.dataSource.getRepository(ModelGeneration).find({ where: { modelId }, order: { generation: 'ASC' } });
    const activeId = await this.activeGenerationId(modelId);
    return rows.map((g) => ({ modelId, generation: g.generation, sha256: g.sha256, parentSha256: g.parentSha256, origin: g.origin, createdAt: g.createdAt, active: String(g.id) === activeId }));
  }

  /** The active generation's package (validated again when first loaded from the blob store). */
  async active(modelId: string): Promise<ModelPackage> {
    const id = await this.activeGenerationId(modelId);
    if (!id) throw new ModelRegistryError(`no model "${modelId}" in the registry (dafne-node model list)`, 'not-found');
    const gen = await this.db.dataSource.getRepository(ModelGeneration).findOneByOrFail({ id });
    return this.load(gen);
  }

  /**
   * The active generation's card without loading its model.onnx (the dry-run's plane plan needs
   * only input.plane and maxThroughPlaneSpacing); undefined when the model is not installed.
   * Parsed again so cards stored before a field existed get its default.
   */
  async activeCard(modelId: string): Promise<ModelCard | undefined> {
    const id = await this.activeGenerationId(modelId);
    if (!id) return undefined;
    const gen = await this.db.dataSource.getRepository(ModelGeneration).findOneByOrFail({ id });
    return parseModelCard(gen.card);
  }

  async package(modelId: string, generation: number): Promise<ModelPackage> {
    const gen = await this.db.dataSource.getRepository(ModelGeneration).findOneBy({ modelId, generation });
    if (!gen) throw new ModelRegistryError(`model ${modelId} has no generation ${generation}`, 'not-found');
    return this.load(gen);
  }

  /** Makes `generation` the active one. */
  async promote(modelId: string, generation: number, actor: string, reason?: string): Promise<GenerationInfo> {
    const gen = await this.db.dataSource.getRepository(ModelGeneration).findOneBy({ modelId, generation });
    if (!gen) throw new ModelRegistryError(`model ${modelId} has no generation ${generation}`, 'not-found');
    await this.db.dataSource.getRepository(ModelActivation).save({ modelId, generationId: gen.id, action: 'promote', actor, reason: reason ?? null });
    return (await this.generations(modelId)).find((g) => g.generation === generation)!;
  }

  /** Re-activates the generation that was active before the current one. */
  async rollback(modelId: string, actor: string, reason?: string): Promise<GenerationInfo> {
    const history = await this.db.dataSource.getRepository(ModelActivation).find({ where: { modelId }, order: { id: 'DESC' } });
    // bigint ids: strings from pg, numbers from PGlite; compare them as strings.
    const current = history[0] ? String(history[0].generationId) : undefined;
    const previous = history.find((h) => String(h.generationId) !== current)?.generationId;
    if (!current || !previous) throw new ModelRegistryError(`model ${modelId} has no earlier active generation to roll back to`, 'no-history');
    await this.db.dataSource.getRepository(ModelActivation).save({ modelId, generationId: previous, action: 'rollback', actor, reason: reason ?? null });
    return (await this.generations(modelId)).find((g) => g.active)!;
  }

  private async activeGenerationId(modelId: string): Promise<string | undefined> {
    const last = await this.db.dataSource.getRepository(ModelActivation).findOne({ where: { modelId }, order: { id: 'DESC' } });
    return last ? String(last.generationId) : undefined;
  }

  private async load(gen: ModelGeneration): Promise<ModelPackage> {
    const hit = this.cache.get(gen.sha256);
    if (hit) return this.remember(hit);
    const onnx = await this.blobs.read(gen.sha256);
    if (createHash('sha256').update(onnx).digest('hex') !== gen.sha256) throw new Error(`model ${gen.modelId} generation ${gen.generation}: model.onnx in the blob store is damaged (hash mismatch)`);
    return this.remember(validateModelPackage(onnx, gen.card as ModelCard));
  }

  /** Marks `pkg` most recently used and forgets its model's older packages beyond the limit. */
  private remember(pkg: ModelPackage): ModelPackage {
    this.cache.delete(pkg.sha256);
    this.cache.set(pkg.sha256, pkg);
    const same = [...this.cache.values()].filter((p) => p.card.id === pkg.card.id);
    for (const old of same.slice(0, Math.max(0, same.length - PACKAGES_KEPT_PER_MODEL))) this.cache.delete(old.sha256);
    return pkg;
  }

  /** Model hashes held in memory (for tests). */
  get cached(): string[] {
    return [...this.cache.keys()];
  }
}
