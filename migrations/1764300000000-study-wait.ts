import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Study rules (issue 17 item 6): one row per (rule, study) that a `trigger: study` rule waits for.
 * The wait lives here, not in a timer, so a restarted node finds it, fires it when the last
 * required series becomes stable, or ends it at `deadline` (the rule's timeoutSeconds after the
 * first matching series was stable). `fired_fingerprint` is the input series' content the job was
 * made for: a re-run happens only for new content.
 */
export class StudyWait1764300000000 implements MigrationInterface {
  name = 'StudyWait1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE study_wait (
        id bigserial PRIMARY KEY,
        rule_id text NOT NULL,
        study_instance_uid text NOT NULL,
        state text NOT NULL DEFAULT 'waiting',
        opened_at timestamptz NOT NULL DEFAULT now(),
        deadline timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        required jsonb NOT NULL DEFAULT '[]',
        missing jsonb NOT NULL DEFAULT '[]',
        input_series_instance_uid text,
        fired_fingerprint text,
        job_id uuid,
        reason text,
        UNIQUE (rule_id, study_instance_uid)
      );
      CREATE INDEX study_wait_due_idx ON study_wait (state, deadline);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE study_wait');
  }
}
