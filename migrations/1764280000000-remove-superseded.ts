import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Supersede policy at the destination (issue 17 item 1): a destination may say how a SEG that a
 * re-run superseded is deleted there (`removeSuperseded`: Orthanc REST or DICOMweb DELETE). A
 * delivery deleted that way ends `retracted` (delivery.status is free text; no constraint to change).
 */
export class RemoveSuperseded1764280000000 implements MigrationInterface {
  name = 'RemoveSuperseded1764280000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE destination ADD COLUMN remove_superseded jsonb');
    // The supersede lookups go by (source series, model, rule) and by result.
    await q.query('CREATE INDEX IF NOT EXISTS ai_result_source_idx ON ai_result (source_series_instance_uid, model_id, rule_id)');
    await q.query('CREATE INDEX IF NOT EXISTS delivery_result_idx ON delivery (ai_result_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS delivery_result_idx');
    await q.query('DROP INDEX IF EXISTS ai_result_source_idx');
    await q.query('ALTER TABLE destination DROP COLUMN remove_superseded');
  }
}
