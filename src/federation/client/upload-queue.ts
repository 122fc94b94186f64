import type { Logger } from 'pino';
import type { Database } from '../../db/data-source.js';
import { returnedRows } from '../../db/returned-rows.js';
import { peekManifest } from '../delta.js';
import { CentralError, type CentralApi, type UploadStatus } from './central-api.js';

/**
 * The durable upload queue (docs/federation.md "Node client"): a delta is a row (the signed file in
 * a bytea) from the moment the local gate accepted it until the central server answered 202, so a
 * restart or an outage of the central server loses nothing. A table, not the pg-boss job queue,
 * because the row must outlive the upload: it keeps the central server's upload id and the outcome
 * the status API reports, and the delta stays resendable with the same payload hash (the central
 * server answers the same upload id again: idempotent).
 *
 * States: awaiting-approval (a site admin has not approved it yet; federation.autoApprove skips
 * this) → pending (waiting for its next attempt) → sent (the central server took it; outcome polled
 * until final) or failed (refused for good: 400 / 401 / 403 / 409 / 413 / 422, reason kept);
 * declined: the site admin refused it, it never leaves the site.
 */
export interface UploadRow {
  id: string;
  modelId: string;
  baseSha256: string;
  payloadSha256: string;
  bytes: number;
  trainingSlices: number;
  state: 'awaiting-approval' | 'pending' | 'sent' | 'failed' | 'declined';
  approvedBy: string | null;
  approvedAt: Date | null;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  uploadId: string | null;
  remoteStatus: UploadStatus | null;
  remoteReason: string | null;
  remoteGeneration: number | null;
  createdAt: Date;
  sentAt: Date | null;
}

export interface UploadQueueOptions {
  retryBaseSeconds: number;
  retryMaxSeconds: number;
}

const FINAL: readonly string[] = ['accepted', 'rejected', 'skipped'];
const COLUMNS = `id, model_id AS "modelId", base_sha256 AS "baseSha256", payload_sha256 AS "payloadSha256", bytes, training_slices AS "trainingSlices", state, attempts,
  next_attempt_at AS "nextAttemptAt", last_error AS "lastError", upload_id AS "uploadId", remote_status AS "remoteStatus", remote_reason AS "remoteReason",
  remote_generation AS "remoteGeneration", created_at AS "createdAt", sent_at AS "sentAt", approved_by AS "approvedBy", approved_at AS "approvedAt"`;

/** Delay before attempt n+1: base × 2^n capped, with ±20 % jitter so sites do not retry in step. */
export function backoffSeconds(attempts: number, o: UploadQueueOptions, random = Math.random): number {
  const d = Math.min(o.retryMaxSeconds, o.retryBaseSeconds * 2 ** Math.min(attempts, 30));
  return d * (0.8 + 0.4 * random());
}

export class UploadQueue {
  constructor(
    private readonly db: Database,
    private readonly api: () => CentralApi,
    private readonly log: Logger,
    private readonly o: UploadQueueOptions,
  ) {}

  /**
   * Queues a signed delta file; the same payload again is the same row (returns its id). With
   * `approvedBy` it may leave at once (auto-approval, recorded by that name); without, it waits for a
   * site admin's approve().
   */
  async enqueue(file: Buffer, approvedBy: string | null = null): Promise<string> {
    const m = peekManifest(file);
    const rows = (await this.db.dataSource.query(
      `INSERT INTO federation_outbox (model_id, base_sha256, payload_sha256, delta, bytes, training_slices, state, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8::text IS NULL THEN NULL ELSE now() END)
       ON CONFLICT (model_id, payload_sha256) DO UPDATE SET model_id = EXCLUDED.model_id RETURNING id`,
      [m.modelId, m.baseSha256, m.payloadSha256, file, file.length, m.trainingSlices, approvedBy === null ? 'awaiting-approval' : 'pending', approvedBy],
    )) as { id: string | number }[];
    this.log.info({ model: m.modelId, base: m.baseSha256.slice(0, 12), bytes: file.length, upload: String(rows[0]!.id), approval: approvedBy ?? 'waiting for a site admin' }, 'federation: delta queued for upload');
    return String(rows[0]!.id);
  }

  /**
   * A site admin's decision on a delta awaiting approval: approve → pending (sent by the next loop),
   * decline → declined (never sent). Returns the row, or null when no such row waits for approval.
   */
  async decide(id: string, approve: boolean, actor: string): Promise<UploadRow | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const rows = returnedRows<{ id: string }>(
      await this.db.dataSource.query(`UPDATE federation_outbox SET state = $2, approved_by = $3, approved_at = now(), next_attempt_at = now() WHERE id = $1 AND state = 'awaiting-approval' RETURNING id`, [id, approve ? 'pending' : 'declined', actor]),
    );
    if (!rows.length) return null;
    this.log.info({ upload: id, actor }, approve ? 'federation: delta approved for upload' : 'federation: delta declined; it will not leave this site');
    return (await this.list(1000)).find((r) => r.id === id) ?? null;
  }

  /**
   * Sends every due pending delta, oldest first. A retryable failure (central server down, 5xx)
   * reschedules that row with backoff and stops the round (the others would fail the same way).
   */
  async drain(now = new Date()): Promise<{ sent: number; failed: number; retrying: number }> {
    const due = (await this.db.dataSource.query(`SELECT id, model_id AS "modelId", delta, attempts FROM federation_outbox WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY id`, [now])) as {
      id: string | number;
      modelId: string;
      delta: Uint8Array;
      attempts: number;
    }[];
    const out = { sent: 0, failed: 0, retrying: 0 };
    for (const row of due) {
      try {
        const r = await this.api().uploadDelta(row.modelId, Buffer.from(row.delta));
        await this.db.dataSource.query(`UPDATE federation_outbox SET state = 'sent', attempts = attempts + 1, upload_id = $2, remote_status = $3, sent_at = now(), last_error = NULL WHERE id = $1`, [row.id, r.uploadId, r.status]);
        this.log.info({ upload: String(row.id), uploadId: r.uploadId }, 'federation: delta delivered');
        out.sent++;
      } catch (err) {
        const e = err instanceof CentralError ? err : new CentralError((err as Error).message, null, true);
        if (e.retryable) {
          const delay = backoffSeconds(row.attempts, this.o);
          await this.db.dataSource.query(`UPDATE federation_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1`, [row.id, e.message, new Date(now.getTime() + delay * 1000)]);
          this.log.warn({ upload: String(row.id), attempts: row.attempts + 1, retryInSeconds: Math.round(delay) }, `federation: upload failed, will retry: ${e.message}`);
          out.retrying = due.length - out.sent - out.failed;
          break;
        }
        await this.db.dataSource.query(`UPDATE federation_outbox SET state = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1`, [row.id, e.message]);
        this.log.error({ upload: String(row.id) }, `federation: the central server refused the delta: ${e.message}`);
        out.failed++;
      }
    }
    return out;
  }

  /** Asks the central server for the outcome of every sent upload not yet final (Dafne never told its clients). */
  async refreshOutcomes(): Promise<number> {
    const open = (await this.db.dataSource.query(`SELECT id, upload_id AS "uploadId" FROM federation_outbox WHERE state = 'sent' AND (remote_status IS NULL OR remote_status NOT IN ('accepted', 'rejected', 'skipped')) ORDER BY id`)) as {
      id: string | number;
      uploadId: string;
    }[];
    let changed = 0;
    for (const row of open) {
      const r = await this.api().upload(row.uploadId);
      await this.db.dataSource.query(`UPDATE federation_outbox SET remote_status = $2, remote_reason = $3, remote_generation = $4, checked_at = now() WHERE id = $1`, [row.id, r.status, r.reason ?? null, r.generation ?? null]);
      if (FINAL.includes(r.status)) {
        changed++;
        const line = { upload: String(row.id), uploadId: row.uploadId, status: r.status, generation: r.generation };
        if (r.status === 'rejected') this.log.warn(line, `federation: the central server rejected our delta: ${r.reason ?? '(no reason given)'}`);
        else this.log.info(line, `federation: upload ${r.status}`);
      }
    }
    return changed;
  }

  async list(limit = 50): Promise<UploadRow[]> {
    const rows = (await this.db.dataSource.query(`SELECT ${COLUMNS} FROM federation_outbox ORDER BY id DESC LIMIT $1`, [limit])) as UploadRow[];
    return rows.map((r) => ({ ...r, id: String(r.id) }));
  }

  async counts(): Promise<Record<string, number>> {
    const rows = (await this.db.dataSource.query(`SELECT CASE WHEN state = 'sent' THEN 'sent:' || coalesce(remote_status, 'unknown') ELSE state END AS k, count(*)::int AS n FROM federation_outbox GROUP BY 1`)) as { k: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
  }

  /** The earliest time a pending delta is due (null when nothing waits). */
  async nextDue(): Promise<Date | null> {
    const [r] = (await this.db.dataSource.query(`SELECT min(next_attempt_at) AS t FROM federation_outbox WHERE state = 'pending'`)) as { t: Date | string | null }[];
    return r?.t ? new Date(r.t) : null;
  }
}
