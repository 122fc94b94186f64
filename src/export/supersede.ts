import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { Database } from '../db/data-source.js';
import { jobIdFor } from '../jobs/boss-db.js';
import { PermanentJobError, type JobQueue } from '../jobs/queue.js';
import type { Destination, DestinationStore } from './destination-store.js';
import { removeInstance } from './remove-instance.js';
import { returnedRows } from '../db/returned-rows.js';

/**
 * The supersede policy at the destinations (docs/routing.md, "Late instances"): a re-run's SEG
 * replaces the one it supersedes, so a PACS never holds two current SEGs for one source series,
 * model and rule.
 *
 * 1. When the new result is recorded, every delivery of the old result that has not reached a
 *    destination (awaiting-review, pending, retrying) is cancelled with reason `superseded ...`.
 * 2. When a SEG has been delivered to a destination, every older SEG of the same series, model and
 *    rule still delivered there is stale: it is deleted at the destination (a `delivery` job with
 *    action `remove`, retried like a store) when the destination has `removeSuperseded`, and then
 *    ends `retracted`; otherwise it stays, and its reason says it is superseded. The old one is
 *    deleted only after the new one is there, so the destination is never without a SEG.
 * A delivery that was already under way when (1) ran still ends `delivered` (it is at the
 * destination) and (2) finds it stale at once if the newer SEG is there already.
 */

/** Delivery states in which the SEG has not reached the destination. */
const UNSENT = ['awaiting-review', 'pending', 'retrying'];


/**
 * Step 1, inside the transaction that inserts the new result. Returns the job ids of the
 * cancelled deliveries, for cancelSupersededJobs after the commit.
 */
export async function cancelSupersededDeliveries(m: Pick<EntityManager, 'query'>, oldResultId: string | number, newResultId: string | number): Promise<string[]> {
  const r = await m.query(
    `UPDATE delivery SET status = 'cancelled', reason = $3 WHERE ai_result_id = $1 AND status = ANY($2::text[]) RETURNING job_id`,
    [oldResultId, UNSENT, `superseded by ai_result ${newResultId}: the series changed and a re-run replaced this result before it was delivered`],
  );
  return returnedRows<{ job_id: string | null }>(r).flatMap((x) => (x.job_id ? [x.job_id] : []));
}

/** Cancels the queue jobs of cancelled deliveries (best effort: a job that still runs skips a cancelled row). */
export async function cancelSupersededJobs(queue: JobQueue, jobType: string, jobIds: string[], log: Logger): Promise<void> {
  for (const id of jobIds) await queue.cancel(jobType, id).catch((err: Error) => log.debug({ jobId: id, err: err.message }, 'delivery job not cancellable (finished or running)'));
}

/**
 * Step 2, after delivery `deliveryId` succeeded: the stale deliveries at the same destination (the
 * same source series, model and rule, an older result than the newest one delivered there).
 */
export async function staleAt(db: Database, deliveryId: string): Promise<{ id: string; sop: string; newer: string }[]> {
  const rows = (await db.dataSource.query(
    `WITH me AS (SELECT a.source_series_instance_uid AS s, a.model_id AS m, a.rule_id AS r, d.destination AS dest
                   FROM delivery d JOIN ai_result a ON a.id = d.ai_result_id WHERE d.id = $1),
          here AS (SELECT d.id, d.ai_result_id, d.sop_instance_uid FROM delivery d JOIN ai_result a ON a.id = d.ai_result_id
                   JOIN me ON a.source_series_instance_uid = me.s AND a.model_id = me.m AND a.rule_id IS NOT DISTINCT FROM me.r AND d.destination = me.dest
                   WHERE d.status = 'delivered')
     SELECT id, sop_instance_uid AS sop, (SELECT max(ai_result_id) FROM here) AS newer FROM here WHERE ai_result_id < (SELECT max(ai_result_id) FROM here)`,
    [deliveryId],
  )) as { id: string | number; sop: string; newer: string | number }[];
  return rows.map((r) => ({ id: String(r.id), sop: r.sop, newer: String(r.newer) }));
}

/** The data of a delivery job; `action: 'remove'` deletes a superseded SEG at the destination. */
export interface RemoveJobData {
  deliveryId: string;
  destination: string;
  sopInstanceUid: string;
  action: 'remove';
}

/** Queues the deletion of each stale SEG at a destination that can delete, else flags it in the reason. */
export async function retireStale(db: Database, queue: JobQueue, jobType: string, dest: Destination, deliveryId: string, log: Logger): Promise<number> {
  const stale = await staleAt(db, deliveryId);
  for (const s of stale) {
    if (!dest.removeSuperseded) {
      await db.dataSource.query('UPDATE delivery SET reason = $2 WHERE id = $1', [s.id, `superseded by ai_result ${s.newer}; still at the destination, which cannot delete it (no removeSuperseded)`]);
      continue;
    }
    const data: RemoveJobData = { deliveryId: s.id, destination: dest.name, sopInstanceUid: s.sop, action: 'remove' };
    // null: that removal was queued before (its job keeps its own outcome and reason).
    const queued = await queue.send(jobType, data, { id: jobIdFor(`remove:${s.id}`) });
    if (queued !== null) await db.dataSource.query("UPDATE delivery SET reason = $2 WHERE id = $1 AND status = 'delivered'", [s.id, `superseded by ai_result ${s.newer}; being deleted at the destination`]);
  }
  if (stale.length) log.info({ destination: dest.name, stale: stale.length, removable: Boolean(dest.removeSuperseded) }, 'superseded SEGs at the destination');
  return stale.length;
}

/** The `remove` action of a delivery job: one DELETE at the destination, then the row is `retracted`. */
export async function runRemoval(db: Database, destinations: DestinationStore, data: RemoveJobData, log: Logger): Promise<unknown> {
  const [row] = (await db.dataSource.query(
    `SELECT d.status, st.study_instance_uid AS study, se.series_instance_uid AS series FROM delivery d
       LEFT JOIN instance i ON i.sop_instance_uid = d.sop_instance_uid LEFT JOIN series se ON se.id = i.series_fk LEFT JOIN study st ON st.id = se.study_fk
      WHERE d.id = $1`,
    [data.deliveryId],
  )) as { status: string; study: string | null; series: string | null }[];
  if (!row) throw new PermanentJobError('the delivery record no longer exists');
  if (row.status !== 'delivered') return { skipped: row.status };
  if (!row.study || !row.series) throw new PermanentJobError('the superseded SEG is no longer in the archive index; its study and series are unknown');
  const dest = await destinations.get(data.destination).catch((err: Error) => {
    throw new PermanentJobError(err.message);
  });
  const out = await removeInstance(dest, { studyInstanceUid: row.study, seriesInstanceUid: row.series, sopInstanceUid: data.sopInstanceUid });
  if (out.kind === 'removed') {
    await db.dataSource.query("UPDATE delivery SET status = 'retracted', reason = $2 WHERE id = $1", [data.deliveryId, `superseded; ${out.detail}`]);
    log.info({ destination: dest.name, status: out.status }, 'superseded SEG deleted at the destination');
    return { removed: true, status: out.status };
  }
  await db.dataSource.query('UPDATE delivery SET reason = $2 WHERE id = $1', [data.deliveryId, `superseded; deleting it at the destination failed: ${out.reason}`]);
  if (out.kind === 'refused') throw new PermanentJobError(out.reason);
  throw new Error(out.reason); // retried with backoff, dead-letter after jobs.retryLimit; the row stays 'delivered'
}
