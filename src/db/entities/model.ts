import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A model type (e.g. "leg"), whose generations form a lineage. */
@Entity({ name: 'model' })
export class Model {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

/** One generation: model.onnx (by its SHA-256, in the blob store) and its card. */
@Entity({ name: 'model_generation' })
export class ModelGeneration {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'model_id', type: 'text' })
  modelId: string;

  @Column({ type: 'integer' })
  generation: number;

  @Column({ type: 'text' })
  sha256: string;

  @Column({ name: 'parent_sha256', type: 'text', nullable: true })
  parentSha256: string | null;

  @Column({ type: 'jsonb' })
  card: unknown;

  @Column({ name: 'card_sha256', type: 'text' })
  cardSha256: string;

  @Column({ type: 'text' })
  origin: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

/** Append-only history of which generation is active: the last row per model wins. */
@Entity({ name: 'model_activation' })
export class ModelActivation {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'model_id', type: 'text' })
  modelId: string;

  @Column({ name: 'generation_id', type: 'bigint' })
  generationId: string;

  /** 'add' | 'promote' | 'rollback' */
  @Column({ type: 'text' })
  action: string;

  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at: Date;
}
