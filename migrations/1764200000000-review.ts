import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reader review (issue 5): the reviews of AI results and an append-only audit trail.
 *
 * The reviewed `ai_result` rows are created by 1764190000000-routing-jobs (which runs first);
 * src/review/results.ts documents the columns review reads.
 */
export class Review1764200000000 implements MigrationInterface {
  name = 'Review1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
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
