import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The model registry (issue 3): models, their generations (ONNX + card in the blob store, lineage
 * by parent hash) and an append-only activation history for promote / rollback.
 */
export class ModelRegistry1764180000000 implements MigrationInterface {
  name = 'ModelRegistry1764180000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE model (
        id text PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE model_generation (
        id bigserial PRIMARY KEY,
        model_id text NOT NULL REFERENCES model(id),
        generation integer NOT NULL,
        sha256 text NOT NULL,
        parent_sha256 text,
        card jsonb NOT NULL,
        card_sha256 text NOT NULL,
        origin text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (model_id, sha256),
        UNIQUE (model_id, generation)
      );
      CREATE TABLE model_activation (
        id bigserial PRIMARY KEY,
        model_id text NOT NULL REFERENCES model(id),
        generation_id bigint NOT NULL REFERENCES model_generation(id),
        action text NOT NULL,
        actor text NOT NULL,
        reason text,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX model_activation_model_idx ON model_activation (model_id, id DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE model_activation; DROP TABLE model_generation; DROP TABLE model;');
  }
}
