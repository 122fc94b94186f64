import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Continuous learning, the wiring (issue 6; docs/learning.md "Learning runs"):
 * - `learning_run`: every run (nightly, `dafne-node train`, API), its outcome, progress and gate;
 *   at most one `running` row per database (partial unique index, a second guard beside the lock);
 * - `learning_sample`: which reviewed series (and how many slices) each run used, and in which role,
 *   so "new corrected slices" are counted right and a series is trained on at most once per model;
 * - `learning_benchmark`: the frozen local benchmark series of each model (chosen once, never changed);
 * - `generation_score`: the gate's scores of every generation it judged (candidate and base);
 * - `shadow_comparison`: agreement between the active model and its shadow candidate on new series.
 */
export class Learning1764220000000 implements MigrationInterface {
  name = 'Learning1764220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE learning_run (
        id bigserial PRIMARY KEY,
        model_id text NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'cli', 'api')),
        actor text NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'done', 'skipped', 'failed', 'rejected')),
        reason text,
        slices integer NOT NULL DEFAULT 0,
        base_generation integer,
        candidate_generation integer,
        gate jsonb,
        progress real NOT NULL DEFAULT 0,
        progress_message text,
        job_id text,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      );
      CREATE UNIQUE INDEX learning_run_one_running ON learning_run ((true)) WHERE status = 'running';
      CREATE INDEX learning_run_model_idx ON learning_run (model_id, id DESC);

      CREATE TABLE learning_sample (
        id bigserial PRIMARY KEY,
        run_id bigint NOT NULL REFERENCES learning_run(id),
        model_id text NOT NULL,
        result_id bigint NOT NULL,
        series_instance_uid text NOT NULL,
        role text NOT NULL CHECK (role IN ('train', 'held-out', 'benchmark')),
        slices integer NOT NULL
      );
      -- A series is trained on at most once per model (no accidental second pass).
      CREATE UNIQUE INDEX learning_sample_trained_once ON learning_sample (model_id, series_instance_uid) WHERE role = 'train';
      CREATE INDEX learning_sample_run_idx ON learning_sample (run_id);

      CREATE TABLE learning_benchmark (
        model_id text NOT NULL,
        series_instance_uid text NOT NULL,
        result_id bigint NOT NULL,
        frozen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_id, series_instance_uid)
      );

      CREATE TABLE generation_score (
        model_id text NOT NULL,
        generation integer NOT NULL,
        run_id bigint NOT NULL REFERENCES learning_run(id),
        held_out double precision,
        benchmark double precision,
        corrections double precision,
        per_label jsonb,
        gate jsonb,
        at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_id, generation)
      );

      CREATE TABLE shadow_comparison (
        id bigserial PRIMARY KEY,
        model_id text NOT NULL,
        active_generation integer NOT NULL,
        shadow_generation integer NOT NULL,
        ai_result_id bigint,
        mean_dice double precision,
        per_label jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX shadow_comparison_model_idx ON shadow_comparison (model_id, shadow_generation);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE shadow_comparison; DROP TABLE generation_score; DROP TABLE learning_benchmark; DROP TABLE learning_sample; DROP TABLE learning_run;');
  }
}
