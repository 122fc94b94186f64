import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Results beyond the SEG (issue 18): the quantitative SR and the Secondary Capture overlay of an
 * AI result or of its correction (`result_object`, one row per stored instance, so delivery finds
 * them per destination profile and a retried job does not make them twice), the numbers of each
 * measurement report for the console and its longitudinal plot (`result_measurement`), and each
 * destination's default output profiles (`destination.profiles`, NULL = ["seg"]).
 */
export class DerivedResults1764310000000 implements MigrationInterface {
  name = 'DerivedResults1764310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE result_object (
        id bigserial PRIMARY KEY,
        ai_result_id bigint NOT NULL REFERENCES ai_result(id) ON DELETE CASCADE,
        review_id bigint REFERENCES review(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('sr', 'sc-overlay')),
        series_instance_uid text NOT NULL,
        sop_instance_uid text NOT NULL UNIQUE,
        instance_number integer,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX result_object_result_idx ON result_object (ai_result_id, kind);
      CREATE TABLE result_measurement (
        id bigserial PRIMARY KEY,
        ai_result_id bigint NOT NULL REFERENCES ai_result(id) ON DELETE CASCADE,
        review_id bigint REFERENCES review(id) ON DELETE CASCADE,
        sr_sop_instance_uid text NOT NULL UNIQUE,
        measurements jsonb NOT NULL,
        dixon jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX result_measurement_result_idx ON result_measurement (ai_result_id);
      ALTER TABLE destination ADD COLUMN profiles jsonb;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE result_measurement; DROP TABLE result_object; ALTER TABLE destination DROP COLUMN profiles;');
  }
}
