import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Federation governance and site validation (issue 20, docs/federation.md "Site validation",
 * "Governance"):
 * - central: a site the operator EXCLUDES from merges (unlike a revoked one it may still pull and
 *   report), merge PROPOSALS (a window's candidate generations at each server step, waiting for the
 *   sites' validation reports) and the sites' REPORTS (Dice numbers on their own held-out data only);
 * - node: who approved an outgoing delta and when (a delta waits in 'awaiting-approval' until a
 *   site admin approves it, unless federation.autoApprove).
 */
export class FederationGovernance1764320000000 implements MigrationInterface {
  name = 'FederationGovernance1764320000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE federation_site ADD COLUMN excluded_at timestamptz, ADD COLUMN excluded_reason text;
      CREATE TABLE federation_proposal (
        proposal_id uuid PRIMARY KEY,
        model_id text NOT NULL,
        root_generation integer NOT NULL,
        root_sha256 char(64) NOT NULL,
        upload_ids jsonb NOT NULL,
        steps jsonb NOT NULL,
        context jsonb NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'deciding', 'published', 'rejected')),
        reason text,
        generation integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz
      );
      CREATE INDEX federation_proposal_open_idx ON federation_proposal (model_id, status);
      CREATE TABLE federation_site_report (
        proposal_id uuid NOT NULL REFERENCES federation_proposal (proposal_id),
        site_id text NOT NULL REFERENCES federation_site (site_id),
        report jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (proposal_id, site_id)
      );
      ALTER TABLE federation_upload DROP CONSTRAINT IF EXISTS federation_upload_status_check;
      ALTER TABLE federation_upload ADD CONSTRAINT federation_upload_status_check CHECK (status IN ('queued', 'merging', 'validating', 'accepted', 'rejected', 'skipped'));
      ALTER TABLE federation_outbox ADD COLUMN approved_by text, ADD COLUMN approved_at timestamptz;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE federation_outbox DROP COLUMN approved_at, DROP COLUMN approved_by;
      DROP TABLE federation_site_report; DROP TABLE federation_proposal;
      ALTER TABLE federation_site DROP COLUMN excluded_reason, DROP COLUMN excluded_at;
    `);
  }
}
