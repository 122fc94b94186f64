import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import type { Database } from '../db/data-source.js';
import { jobIdFor } from '../jobs/boss-db.js';
import { PermanentJobError, type JobQueue, type RunningJob } from '../jobs/queue.js';
import type { DestinationStore } from './destination-store.js';
import { deliverInstance } from './deliver.js';
import { retireStale, runRemoval, type RemoveJobData } from './supersede.js';
import { correctedObject, derivedKind } from './corrected-replacement.js';
import { returnedRows } from '../db/returned-rows.js';

export const DELIVERY_JOB = 'delivery';

export interface DeliveryJobData {
  deliveryId: string;
  destination: string;
  sopInstanceUid: string;
  /** Absent: store the SEG there. 'remove': delete a superseded SEG there (supersede.ts). */
  action?: 'remove';
}

/**
 * Delivery states: `awaiting-review` (review policy after-review), `pending` (job queued),
 * `retrying` (last attempt failed transiently), `delivered`, `dead-letter` (refused, or retries
 * exhausted; `reason` says why), `cancelled` (the reader rejected the result, or a re-run superseded
 * it before it was delivered), `retracted` (delivered, then deleted there because a re-run's SEG
 * superseded it: supersede.ts). One row per (destination, SOP Instance UID): the unit of idempotency.
 */
export type DeliveryStatus = 'awaiting-review' | 'pending' | 'retrying' | 'delivered' | 'dead-letter' | 'cancelled' | 'retracted';

/** Creates the delivery rows (once per destination and instance) and queues the pending ones. */
export async function enqueueDeliveries(db: Database, queue: JobQueue, aiResultId: string, items: { destination: string; sopInstanceUid: string }[], status: 'pending' | 'awaiting-review'): Promise<void> {
  for (const it of items) {
    await db.dataSource.query(
      `INSERT INTO delivery (ai_result_id, destination, sop_instance_uid, status) VALUES ($1, $2, $3, $4)
       ON CONFLICT (destination, sop_instance_uid) DO NOTHING`,
      [aiResultId, it.destination, it.sopInstanceUid, status],
    );
  }
  await sendPending(db, queue, `ai_result_id = $1`, [aiResultId]);
}

/**
 * Queues a job for each pending delivery without one. The job id derives from the delivery id, so a
 * crash between sending and recording the id cannot create a second job.
 */
async function sendPending(db: Database, queue: JobQueue, where: string, params: unknown[]): Promise<void> {
  const rows = (await db.dataSource.query(`SELECT id, destination, sop_instance_uid AS sop FROM delivery WHERE status = 'pending' AND job_id IS NULL AND ${where}`, params)) as { id: string | number; destination: string; sop: string }[];
  for (const r of rows) {
    const id = jobIdFor(`delivery:${r.id}`);
    const data: DeliveryJobData = { deliveryId: String(r.id), destination: r.destination, sopInstanceUid: r.sop };
    await queue.send(DELIVERY_JOB, data, { id });
    await db.dataSource.query('UPDATE delivery SET job_id = $1 WHERE id = $2', [id, r.id]);
  }
}

/**
 * Review policy `after-review`: once a reader accepted a result its deliveries are released; a
 * corrected result sends the corrected SEG instead (when review recorded one and it is stored);
 * a rejected one is never delivered. Runs on every stability tick.
 */
export async function releaseReviewed(db: Database, queue: JobQueue, log: Logger): Promise<void> {
  const waiting = (await db.dataSource.query(
    `SELECT d.id, d.destination, d.sop_instance_uid AS sop, r.id AS result, r.status FROM delivery d JOIN ai_result r ON r.id = d.ai_result_id
      WHERE d.status = 'awaiting-review' AND r.status IN ('accepted', 'corrected', 'rejected')`,
  )) as { id: string | number; destination: string; sop: string; result: string | number; status: string }[];
  for (const w of waiting) {
    if (w.status === 'rejected') {
      await db.dataSource.query("UPDATE delivery SET status = 'cancelled', reason = 'result rejected in review' WHERE id = $1", [w.id]);
      continue;
    }
    const derived = w.status === 'corrected' ? await derivedKind(db, w.sop) : undefined;
    if (derived) {
      // The AI result's SR / overlay instance: replaced by the corrected result's (issue 18 item 3).
      const replacement = await correctedObject(db, w.result, derived.kind, derived.instanceNumber);
      if (!replacement) continue; // its measurement report is not made yet
      await db.dataSource.query("UPDATE delivery SET status = 'cancelled', reason = $2 WHERE id = $1", [w.id, `superseded by the corrected result's ${derived.kind === 'sr' ? 'SR' : 'overlay'}`]);
      await db.dataSource.query("INSERT INTO delivery (ai_result_id, destination, sop_instance_uid, status) VALUES ($1, $2, $3, 'pending') ON CONFLICT (destination, sop_instance_uid) DO NOTHING", [w.result, w.destination, replacement]);
    } else if (w.status === 'corrected') {
      const corrected = (await db.dataSource
        .query('SELECT corrected_sop_instance_uid AS sop FROM review WHERE result_id = $1 AND corrected_sop_instance_uid IS NOT NULL ORDER BY id DESC LIMIT 1', [w.result])
        .catch(() => [])) as { sop: string }[];
      if (!corrected[0]) continue; // the corrected SEG is not recorded yet
      await db.dataSource.query("UPDATE delivery SET status = 'cancelled', reason = 'superseded by the corrected SEG' WHERE id = $1", [w.id]);
      await db.dataSource.query("INSERT INTO delivery (ai_result_id, destination, sop_instance_uid, status) VALUES ($1, $2, $3, 'pending') ON CONFLICT (destination, sop_instance_uid) DO NOTHING", [w.result, w.destination, corrected[0].sop]);
    } else await db.dataSource.query("UPDATE delivery SET status = 'pending' WHERE id = $1 AND status = 'awaiting-review'", [w.id]);
    log.info({ aiResult: String(w.result), destination: w.destination, review: w.status }, 'reviewed result released for delivery');
  }
  if (waiting.length) await sendPending(db, queue, 'TRUE', []);
}

export interface DeliveryDeps {
  db: Database;
  archive: Archive;
  destinations: DestinationStore;
  log: Logger;
  /** For the removal of superseded SEGs queued after a delivery. */
  queue: JobQueue;
  /** Calling AE title of C-STORE to DIMSE destinations (`dimse.aeTitle`). */
  callingAeTitle: string;
}

/** The delivery job: STOW-RS or C-STORE of one stored instance to one destination, at most once successfully. */
export function deliveryHandler(deps: DeliveryDeps) {
  return async (job: RunningJob<DeliveryJobData>): Promise<unknown> => {
    const { db } = deps;
    if (job.data.action === 'remove') return runRemoval(db, deps.destinations, job.data as RemoveJobData, deps.log);
    const [row] = (await db.dataSource.query('SELECT status FROM delivery WHERE id = $1', [job.data.deliveryId])) as { status: DeliveryStatus }[];
    if (!row) throw new PermanentJobError('the delivery record no longer exists');
    if (row.status === 'delivered') {
      // A retry after a crash between recording the delivery and queueing the removals: queue them
      // now (idempotent: removal job ids derive from the stale delivery's id).
      const dest = await deps.destinations.get(job.data.destination).catch(() => undefined);
      if (dest) await retireStale(db, deps.queue, DELIVERY_JOB, dest, job.data.deliveryId, deps.log);
      return { skipped: row.status };
    }
    if (row.status === 'cancelled' || row.status === 'retracted') return { skipped: row.status };
    const dest = await deps.destinations.get(job.data.destination).catch((err: Error) => {
      throw new PermanentJobError(err.message);
    });
    const [inst] = (await db.dataSource.query('SELECT sha256 FROM instance WHERE sop_instance_uid = $1', [job.data.sopInstanceUid])) as { sha256: string }[];
    if (!inst) throw new PermanentJobError('the instance to deliver is no longer stored');
    const bytes = await deps.archive.blobs.read(inst.sha256);
    await db.dataSource.query('UPDATE delivery SET attempts = attempts + 1 WHERE id = $1', [job.data.deliveryId]);
    const out = await deliverInstance(dest, bytes, job.data.sopInstanceUid, deps.callingAeTitle);
    if (out.kind === 'delivered') {
      // Even if a re-run cancelled this row meanwhile: the SEG is at the destination now, and
      // retireStale below (or the newer SEG's delivery) deletes it there if it is stale.
      await db.dataSource.query("UPDATE delivery SET status = 'delivered', delivered_at = now(), reason = NULL WHERE id = $1", [job.data.deliveryId]);
      deps.log.info({ jobId: job.id, destination: dest.name, status: out.status }, 'result object delivered');
      const stale = await retireStale(db, deps.queue, DELIVERY_JOB, dest, job.data.deliveryId, deps.log);
      return { delivered: true, status: out.status, superseded: stale };
    }
    // The last retry of the schedule (delivery.retry, retry-schedule.ts) failed: dead letter.
    const final = out.kind === 'refused' || job.attempt >= job.retryLimit;
    // A row cancelled during this attempt (a re-run superseded it) stays cancelled and is not retried.
    const updated = await db.dataSource.query("UPDATE delivery SET status = $2, reason = $3 WHERE id = $1 AND status <> 'cancelled' RETURNING id", [job.data.deliveryId, final ? 'dead-letter' : 'retrying', out.reason]);
    if (returnedRows(updated).length === 0) return { skipped: 'cancelled', lastAttempt: out.reason };
    if (out.kind === 'refused') throw new PermanentJobError(out.reason);
    throw new Error(out.reason);
  };
}

export interface DeliveryView {
  id: string;
  aiResultId: string | null;
  destination: string;
  sopInstanceUid: string;
  status: DeliveryStatus;
  attempts: number;
  reason: string | null;
  jobId: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export async function listDeliveries(db: Database, f: { status?: string; aiResultId?: string; destination?: string; limit?: number }): Promise<DeliveryView[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (f.status) where.push(`status = $${params.push(f.status)}`);
  if (f.destination) where.push(`destination = $${params.push(f.destination)}`);
  if (f.aiResultId) where.push(`ai_result_id = $${params.push(f.aiResultId)}`);
  params.push(Math.min(f.limit ?? 100, 1000));
  const rows = (await db.dataSource.query(`SELECT * FROM delivery ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`, params)) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: String(r.id),
    aiResultId: r.ai_result_id === null ? null : String(r.ai_result_id),
    destination: r.destination as string,
    sopInstanceUid: r.sop_instance_uid as string,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    reason: (r.reason as string) ?? null,
    jobId: (r.job_id as string) ?? null,
    createdAt: new Date(r.created_at as string).toISOString(),
    deliveredAt: r.delivered_at ? new Date(r.delivered_at as string).toISOString() : null,
  }));
}
