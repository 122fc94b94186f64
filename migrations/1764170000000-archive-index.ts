import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The archive index: patients, studies, series, instances (what QIDO-RS needs, PS3.18 §10.6). */
export class ArchiveIndex1764170000000 implements MigrationInterface {
  name = 'ArchiveIndex1764170000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE patient (
        id bigserial PRIMARY KEY,
        patient_key text NOT NULL UNIQUE,
        patient_id text NOT NULL,
        issuer text,
        patient_name text,
        birth_date text,
        sex text
      );
      CREATE INDEX patient_id_idx ON patient (patient_id);
      CREATE INDEX patient_name_idx ON patient (lower(patient_name));

      CREATE TABLE study (
        id bigserial PRIMARY KEY,
        study_instance_uid text NOT NULL UNIQUE,
        patient_fk bigint NOT NULL REFERENCES patient(id),
        study_date text,
        study_time text,
        accession_number text,
        study_id text,
        study_description text,
        referring_physician_name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX study_patient_idx ON study (patient_fk);
      CREATE INDEX study_date_idx ON study (study_date);
      CREATE INDEX study_accession_idx ON study (accession_number);

      CREATE TABLE series (
        id bigserial PRIMARY KEY,
        series_instance_uid text NOT NULL UNIQUE,
        study_fk bigint NOT NULL REFERENCES study(id),
        modality text,
        series_number integer,
        series_description text,
        body_part_examined text,
        protocol_name text,
        station_name text,
        series_date text,
        series_time text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_instance_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX series_study_idx ON series (study_fk);
      CREATE INDEX series_modality_idx ON series (modality);

      CREATE TABLE instance (
        id bigserial PRIMARY KEY,
        sop_instance_uid text NOT NULL UNIQUE,
        series_fk bigint NOT NULL REFERENCES series(id),
        sop_class_uid text NOT NULL,
        instance_number integer,
        rows integer,
        columns integer,
        number_of_frames integer,
        transfer_syntax_uid text NOT NULL,
        sha256 text NOT NULL,
        size bigint NOT NULL,
        pixel_data_offset bigint,
        received_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX instance_series_idx ON instance (series_fk);
      CREATE INDEX instance_sha_idx ON instance (sha256);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE instance; DROP TABLE series; DROP TABLE study; DROP TABLE patient;');
  }
}
