import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Series a rejected run trained on (role 'tried'): not learned, so the next run trains on them again
 * with whatever came since (up to learning.maxAttempts runs), instead of losing the corrections.
 *
 * Continual-learning metrics of a learning run (issue 15 item 3): backward and forward transfer,
 * the reference and held-out scores behind them, and how many corrected series the model had
 * learned from when the run ended — the points of the console's learning curve. One JSON value per
 * run (null for runs that never reached the gate): the metrics are read whole, never queried by part.
 */
export class LearningMetrics1764265000000 implements MigrationInterface {
  name = 'LearningMetrics1764265000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE learning_run ADD COLUMN metrics jsonb');
    await q.query('ALTER TABLE learning_sample DROP CONSTRAINT learning_sample_role_check');
    await q.query(`ALTER TABLE learning_sample ADD CONSTRAINT learning_sample_role_check CHECK (role IN ('train', 'tried', 'held-out', 'benchmark'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM learning_sample WHERE role = 'tried'`);
    await q.query('ALTER TABLE learning_sample DROP CONSTRAINT learning_sample_role_check');
    await q.query(`ALTER TABLE learning_sample ADD CONSTRAINT learning_sample_role_check CHECK (role IN ('train', 'held-out', 'benchmark'))`);
    await q.query('ALTER TABLE learning_run DROP COLUMN metrics');
  }
}
