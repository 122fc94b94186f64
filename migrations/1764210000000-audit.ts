import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The node-wide audit trail (issue 8): one append-only row per state-changing API action (rules,
 * destinations, jobs, models, learning). Reviews keep their own `review_audit` (1764200000000);
 * GET /api/v1/audit reads this table. Never updated, never deleted by the node.
 */
export class Audit1764210000000 implements MigrationInterface {
  name = 'Audit1764210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb
      );
      CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC);
      CREATE INDEX audit_log_target_idx ON audit_log (target, id DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_log;');
  }
}
