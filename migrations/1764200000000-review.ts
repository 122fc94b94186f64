import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reader review (issue 5): the reviews of AI results and an append-only audit trail.
 *
 * `ai_result` is the contract between the producer of AI SEGs (routing / inference jobs, issue 4)
 * and review; src/review/results.ts documents the columns review reads. It is created by
 * 1764190000000-routing-jobs (which runs first and adds the producer's own columns); the
 * `CREATE TABLE IF NOT EXISTS` here is the same definition, kept so review's contract stands on its
 * own and stays a no-op whichever migration created the table.
 */
export class Review1764200000000 implements MigrationInterface {
  name = 'Review1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS ai_result (
        id bigserial PRIMARY KEY,
        study_instance_uid text NOT NULL,
        source_series_instance_uid text NOT NULL,
        seg_series_instance_uid text NOT NULL,
        seg_sop_instance_uid text NOT NULL UNIQUE,
        model_id text NOT NULL,
        generation integer NOT NULL,
        -- 'immediate': delivered as soon as made; 'after_review': only once accepted or corrected
        delivery text NOT NULL DEFAULT 'after_review',
        status text NOT NULL DEFAULT 'pending',
        job_id text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX IF NOT EXISTS ai_result_study_idx ON ai_result (study_instance_uid);
      CREATE INDEX IF NOT EXISTS ai_result_status_idx ON ai_result (status, created_at);

      CREATE TABLE review (
        id bigserial PRIMARY KEY,
        result_id bigint NOT NULL REFERENCES ai_result(id),
        action text NOT NULL CHECK (action IN ('accept', 'correct', 'reject')),
        reader text NOT NULL,
        reason text,
        corrected_series_instance_uid text,
        corrected_sop_instance_uid text,
        -- per-segment Dice between the AI SEG and the corrected SEG on the source grid
        dice jsonb,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX review_result_idx ON review (result_id, id DESC);

      CREATE TABLE review_audit (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        result_id bigint,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb
      );
      CREATE INDEX review_audit_result_idx ON review_audit (result_id, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    // ai_result belongs to 1764190000000-routing-jobs: left to its down().
    await q.query('DROP TABLE review_audit; DROP TABLE review;');
  }
}
