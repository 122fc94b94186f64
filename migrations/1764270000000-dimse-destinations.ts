import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DIMSE destinations (issue 16): a destination is either a DICOMweb root (`url`) or a DIMSE
 * Storage SCP (`dimse`: { host, port, aeTitle }), never both, never neither.
 */
export class DimseDestinations1764270000000 implements MigrationInterface {
  name = 'DimseDestinations1764270000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE destination ADD COLUMN dimse jsonb');
    await q.query('ALTER TABLE destination ALTER COLUMN url DROP NOT NULL');
    await q.query('ALTER TABLE destination ADD CONSTRAINT destination_kind_check CHECK ((url IS NULL) <> (dimse IS NULL))');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DELETE FROM destination WHERE dimse IS NOT NULL');
    await q.query('ALTER TABLE destination DROP CONSTRAINT destination_kind_check');
    await q.query('ALTER TABLE destination ALTER COLUMN url SET NOT NULL');
    await q.query('ALTER TABLE destination DROP COLUMN dimse');
  }
}
