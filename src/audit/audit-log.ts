/**
 * The node-wide audit trail (table `audit_log`, migration 1764210000000): who changed what and
 * when, one row per state-changing API action. Append-only: the class has no update or delete.
 * Actions are dotted verbs (`rule.create`, `destination.put`, `job.retry`, `model.promote`);
 * targets name the thing (`rule:ct-legs`, `destination:pacs`, `job:<id>`, `model:<id>`).
 * Details must not carry patient data or secrets (callers pass ids, versions, reasons).
 */
import type { EntityManager } from 'typeorm';
import type { Database } from '../db/data-source.js';

export interface AuditRecord {
  actor: string;
  action: string;
  target: string;
  detail?: unknown;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: unknown;
}

export interface AuditQuery {
  actor?: string;
  /** Exact action, or a prefix ending in '.' (`rule.` = every rule action). */
  action?: string;
  target?: string;
  /** ISO time: entries at or after it. */
  since?: string;
  /** Entries with an id below this one (paging backwards). */
  before?: string;
  limit?: number;
}

type Runner = Pick<EntityManager, 'query'>;

interface Row {
  id: string | number;
  at: Date | string;
  actor: string;
  action: string;
  target: string;
  detail: unknown;
}

export class AuditLog {
  constructor(private readonly db: Database) {}

  /** Appends one entry; pass a transaction's manager to commit it with the change it records. */
  async record(e: AuditRecord, m: Runner = this.db.dataSource): Promise<void> {
    await m.query('INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, $2, $3, $4)', [e.actor, e.action, e.target, JSON.stringify(e.detail ?? {})]);
  }

  /** Newest first. */
  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (q.actor) where.push(`actor = $${params.push(q.actor)}`);
    if (q.action) where.push(q.action.endsWith('.') ? `starts_with(action, $${params.push(q.action)})` : `action = $${params.push(q.action)}`);
    if (q.target) where.push(`target = $${params.push(q.target)}`);
    if (q.since) where.push(`at >= $${params.push(q.since)}`);
    if (q.before) where.push(`id < $${params.push(q.before)}`);
    const limit = Math.min(Math.max(Math.trunc(q.limit ?? 200) || 200, 1), 5000);
    const sql = `SELECT id, at, actor, action, target, detail FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`;
    const rows = (await this.db.dataSource.query(sql, params)) as Row[];
    return rows.map((r) => ({
      id: String(r.id),
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      action: r.action,
      target: r.target,
      detail: typeof r.detail === 'string' ? (JSON.parse(r.detail) as unknown) : r.detail,
    }));
  }
}
