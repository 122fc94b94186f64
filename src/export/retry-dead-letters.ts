import type { Database } from '../db/data-source.js';
import { jobIdFor } from '../jobs/boss-db.js';
import { BOSS_SCHEMA, type JobQueue } from '../jobs/queue.js';
import { DELIVERY_JOB, type DeliveryJobData } from './deliveries.js';

export interface RetryDeadLettersResult {
  destination: string;
  /** Deliveries put back in the queue. */
  requeued: number;
  deliveryIds: string[];
}

/**
 * "Retry all dead letters for destination X" (issue 17 item 3): after an outage longer than the
 * schedule (delivery.retry.giveUpAfterHours), or once a refusing PACS was fixed, every dead-letter
 * delivery of that destination goes back to the queue with a fresh retry schedule.
 *
 * Never delivers twice: only rows in `dead-letter` are touched (a delivered row is never one), the
 * job moves only from pg-boss `failed` in one statement (two concurrent calls requeue each job
 * once), and the delivery job itself does nothing when its row is already `delivered`.
 * The job is requeued before the row says `pending`: a crash in between leaves a queued job for a
 * row still marked dead-letter, which the job delivers all the same.
 */
export async function retryDeadLetters(db: Database, queue: JobQueue, destination: string): Promise<RetryDeadLettersResult> {
  const rows = (await db.dataSource.query(`SELECT id, job_id, sop_instance_uid AS sop FROM delivery WHERE destination = $1 AND status = 'dead-letter' ORDER BY id`, [destination])) as { id: string | number; job_id: string | null; sop: string }[];
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const withJob = rows.filter((r) => r.job_id && uuid.test(r.job_id));
  const moved = new Set(await queue.requeueFailed(DELIVERY_JOB, withJob.map((r) => r.job_id!)));
  const existing = new Set(
    ((await db.dataSource.query(`SELECT id FROM ${BOSS_SCHEMA}.job WHERE id = ANY($1::uuid[])`, [withJob.map((r) => r.job_id!)])) as { id: string }[]).map((r) => r.id),
  );
  const requeued: string[] = [];
  for (const r of rows) {
    if (r.job_id && moved.has(r.job_id)) requeued.push(String(r.id));
    else if (!r.job_id || !uuid.test(r.job_id) || !existing.has(r.job_id)) {
      // pg-boss archived the failed job (after 30 days): a new one, with the same derived id.
      const data: DeliveryJobData = { deliveryId: String(r.id), destination, sopInstanceUid: r.sop };
      const id = jobIdFor(`delivery:${r.id}`);
      await queue.send(DELIVERY_JOB, data, { id });
      await db.dataSource.query('UPDATE delivery SET job_id = $1 WHERE id = $2', [id, r.id]);
      requeued.push(String(r.id));
    }
    // else: its job is not failed (queued or running again, e.g. a concurrent call): leave it.
  }
  if (requeued.length) await db.dataSource.query(`UPDATE delivery SET status = 'pending' WHERE id = ANY($1::bigint[]) AND status = 'dead-letter'`, [requeued]);
  return { destination, requeued: requeued.length, deliveryIds: requeued };
}
