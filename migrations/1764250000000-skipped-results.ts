import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Skipped series (issue 14 item 1): an inference job whose series is too coarse in the model's plane
 * ends with an `ai_result` row of outcome 'skipped', its reason, and no SEG. The row is what makes
 * the outcome durable (results API, console) and what a retried job finds (idempotency).
 *
 * A skipped row also has review status 'skipped', so every query that looks for 'pending' results
 * (worklist, review, delivery release) leaves it out without knowing about outcomes. The CHECK keeps
 * the two columns and the SEG UIDs from ever disagreeing.
 */
export class SkippedResults1764250000000 implements MigrationInterface {
  name = 'SkippedResults1764250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ai_result
        ALTER COLUMN seg_series_instance_uid DROP NOT NULL,
        ALTER COLUMN seg_sop_instance_uid DROP NOT NULL,
        ADD COLUMN outcome text NOT NULL DEFAULT 'segmented',
        ADD COLUMN reason text,
        ADD CONSTRAINT ai_result_outcome_check CHECK (
          (outcome = 'segmented' AND seg_series_instance_uid IS NOT NULL AND seg_sop_instance_uid IS NOT NULL AND status <> 'skipped')
          OR (outcome = 'skipped' AND seg_series_instance_uid IS NULL AND seg_sop_instance_uid IS NULL AND status = 'skipped' AND reason IS NOT NULL)
        );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    // Skipped rows have no SEG and cannot satisfy NOT NULL again; nothing references them
    // (no reviews, no deliveries), so they go.
    await q.query(`
      DELETE FROM ai_result WHERE outcome = 'skipped';
      ALTER TABLE ai_result
        DROP CONSTRAINT ai_result_outcome_check,
        DROP COLUMN reason,
        DROP COLUMN outcome,
        ALTER COLUMN seg_series_instance_uid SET NOT NULL,
        ALTER COLUMN seg_sop_instance_uid SET NOT NULL;
    `);
  }
}
