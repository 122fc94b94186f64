import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The central federation role (issue 7, docs/federation.md "Protocol"): registered sites (token
 * stored as SHA-256, revocable), uploaded deltas with their outcome, and per-generation federation
 * facts (contributors, central validation, merge report, signature) beside the model registry's
 * own generation rows (1764180000000), which keep the ONNX, card and lineage.
 * A node's database also gets these (empty) tables: one migration list for every role.
 */
export class FederationCentral1764230000000 implements MigrationInterface {
  name = 'FederationCentral1764230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE federation_site (
        site_id text PRIMARY KEY,
        public_key_pem text NOT NULL,
        token_sha256 char(64) NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );
      CREATE TABLE federation_upload (
        upload_id uuid PRIMARY KEY,
        model_id text NOT NULL,
        site_id text NOT NULL REFERENCES federation_site (site_id),
        payload_sha256 char(64) NOT NULL,
        base_sha256 char(64) NOT NULL,
        base_generation integer NOT NULL,
        training_slices integer NOT NULL,
        training_series integer NOT NULL,
        manifest jsonb NOT NULL,
        file_bytes integer NOT NULL,
        status text NOT NULL CHECK (status IN ('queued', 'merging', 'accepted', 'rejected', 'skipped')),
        reason text,
        generation integer,
        detail jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (site_id, payload_sha256)
      );
      CREATE INDEX federation_upload_queue_idx ON federation_upload (model_id, status, created_at);
      CREATE TABLE federation_generation (
        model_id text NOT NULL,
        generation integer NOT NULL,
        sha256 char(64) NOT NULL,
        signature text NOT NULL,
        contributors jsonb NOT NULL DEFAULT '[]'::jsonb,
        validation jsonb,
        merge_report jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_id, generation)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE federation_generation; DROP TABLE federation_upload; DROP TABLE federation_site;');
  }
}
