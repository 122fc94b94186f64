import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Job leases (issue 17 item 4): the worker running a job renews its row every heartbeat; a row
 * not renewed within the heartbeat timeout means the worker is gone, and its job is retried at
 * once instead of after the job's expiry (15 min). `attempt` is pg-boss's retry_count of the run
 * that holds the lease, so a stale lease can never touch a later run of the same job.
 */
export class JobLease1764290000000 implements MigrationInterface {
  name = 'JobLease1764290000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE job_lease (
        job_id uuid PRIMARY KEY,
        attempt integer NOT NULL,
        worker text NOT NULL,
        renewed_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX job_lease_renewed_idx ON job_lease (renewed_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE job_lease');
  }
}
