import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Federation client (issue 7): the durable upload queue (a delta waits here until the central server
 * took it, across restarts and outages) and the history of generation pulls (what was installed or
 * refused, and why).
 */
export class FederationClient1764240000000 implements MigrationInterface {
  name = 'FederationClient1764240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE federation_outbox (
        id bigserial PRIMARY KEY,
        model_id text NOT NULL,
        base_sha256 text NOT NULL,
        payload_sha256 text NOT NULL,
        delta bytea NOT NULL,
        bytes integer NOT NULL,
        training_slices integer NOT NULL,
        state text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        upload_id text,
        remote_status text,
        remote_reason text,
        remote_generation integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        checked_at timestamptz,
        UNIQUE (model_id, payload_sha256)
      );
      CREATE INDEX federation_outbox_due_idx ON federation_outbox (state, next_attempt_at);
      CREATE TABLE federation_pull (
        id bigserial PRIMARY KEY,
        model_id text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        outcome text NOT NULL,
        central_generation integer,
        sha256 text,
        local_generation integer,
        reason text
      );
      CREATE INDEX federation_pull_model_idx ON federation_pull (model_id, id DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE federation_pull; DROP TABLE federation_outbox;');
  }
}
