import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Automatic routing (issue 4): series assembly state, versioned rule sets, every rule evaluation,
 * destinations, AI results (the contract review and learning read), deliveries and job progress.
 * The job queue itself is pg-boss, which keeps its own schema `pgboss` (created by pg-boss on start).
 *
 * `ai_result` carries the columns src/review/results.ts reads (issue 5) plus the producer's own
 * (fingerprint, rule, timings, supersession); `IF NOT EXISTS` / `ADD COLUMN IF NOT EXISTS` keep both
 * migrations correct whichever created the table first.
 */
export class RoutingJobs1764190000000 implements MigrationInterface {
  name = 'RoutingJobs1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX series_last_instance_idx ON series (last_instance_at);

      CREATE TABLE series_assembly (
        series_fk bigint PRIMARY KEY REFERENCES series(id) ON DELETE CASCADE,
        sender text,
        handled_last_instance_at timestamptz,
        stable_at timestamptz,
        fingerprint text,
        routed_fingerprint text,
        hint text
      );

      CREATE TABLE routing_ruleset (
        version serial PRIMARY KEY,
        rules jsonb NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        detail text,
        source_sha256 text,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE routing_evaluation (
        id bigserial PRIMARY KEY,
        series_instance_uid text NOT NULL,
        ruleset_version integer,
        fingerprint text,
        outcome text NOT NULL,
        matched_rules jsonb NOT NULL DEFAULT '[]'::jsonb,
        details jsonb NOT NULL DEFAULT '[]'::jsonb,
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        jobs jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX routing_evaluation_series_idx ON routing_evaluation (series_instance_uid, id DESC);
      CREATE INDEX routing_evaluation_created_idx ON routing_evaluation (created_at DESC);

      CREATE TABLE destination (
        name text PRIMARY KEY,
        url text NOT NULL,
        auth jsonb,
        timeout_ms integer NOT NULL DEFAULT 30000,
        source text NOT NULL,
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE ai_result (
        id bigserial PRIMARY KEY,
        study_instance_uid text NOT NULL,
        source_series_instance_uid text NOT NULL,
        seg_series_instance_uid text NOT NULL,
        seg_sop_instance_uid text NOT NULL UNIQUE,
        model_id text NOT NULL,
        generation integer NOT NULL,
        -- 'immediate': delivered as soon as made; 'after_review': only once accepted or corrected
        delivery text NOT NULL DEFAULT 'after_review',
        -- review status (src/review/results.ts)
        status text NOT NULL DEFAULT 'pending',
        job_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        source_fingerprint text,
        rule_id text,
        ruleset_version integer,
        model_sha256 text,
        timings jsonb,
        supersedes bigint,
        superseded_by bigint
      );
      CREATE INDEX ai_result_study_idx ON ai_result (study_instance_uid);
      CREATE INDEX ai_result_status_idx ON ai_result (status, created_at);
      CREATE UNIQUE INDEX ai_result_run_idx ON ai_result (source_series_instance_uid, source_fingerprint, model_id, rule_id);
      CREATE INDEX IF NOT EXISTS ai_result_seg_series_idx ON ai_result (seg_series_instance_uid);

      CREATE TABLE delivery (
        id bigserial PRIMARY KEY,
        ai_result_id bigint REFERENCES ai_result(id),
        destination text NOT NULL,
        sop_instance_uid text NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        reason text,
        job_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        UNIQUE (destination, sop_instance_uid)
      );
      CREATE INDEX delivery_status_idx ON delivery (status);

      CREATE TABLE job_progress (
        job_id uuid PRIMARY KEY,
        progress real NOT NULL,
        message text,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE job_progress; DROP TABLE delivery; DROP TABLE destination; DROP TABLE routing_evaluation;
      DROP TABLE routing_ruleset; DROP TABLE series_assembly; DROP INDEX series_last_instance_idx;
      DROP TABLE ai_result;
    `);
  }
}
