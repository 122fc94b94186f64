/**
 * The review audit trail (table `review_audit`): append-only, one row per thing a person or the
 * node did to an AI result (registered, accepted, corrected, rejected, refused). Never updated.
 */
import type { EntityManager } from 'typeorm';
import type { Database } from '../db/data-source.js';

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  resultId: string | null;
  detail: Record<string, unknown>;
}

type Runner = Pick<EntityManager, 'query'>;

export class AuditTrail {
  constructor(private readonly db: Database) {}

  async append(actor: string, action: string, resultId: string | null, detail: Record<string, unknown> = {}, m: Runner = this.db.dataSource): Promise<void> {
    await m.query('INSERT INTO review_audit (actor, action, result_id, detail) VALUES ($1, $2, $3, $4)', [actor, action, resultId, JSON.stringify(detail)]);
  }

  async list(f: { resultId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const params: unknown[] = [];
    const where = f.resultId ? `WHERE result_id = $${params.push(f.resultId)}` : '';
    const limit = Math.min(Math.max(f.limit ?? 200, 1), 5000);
    const rows = (await this.db.dataSource.query(`SELECT id, at, actor, action, result_id, detail FROM review_audit ${where} ORDER BY id DESC LIMIT ${limit}`, params)) as {
      id: string | number;
      at: Date | string;
      actor: string;
      action: string;
      result_id: string | number | null;
      detail: Record<string, unknown> | string;
    }[];
    return rows.map((r) => ({
      id: String(r.id),
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      action: r.action,
      resultId: r.result_id === null ? null : String(r.result_id),
      detail: typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : r.detail,
    }));
  }
}
