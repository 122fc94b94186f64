import type { Archive } from '../archive/archive.js';
import { jobCounts } from '../jobs/job-list.js';
import { BOSS_SCHEMA } from '../jobs/queue.js';

export interface NodeStatus {
  storage: {
    freeBytes: number;
    totalBytes: number;
    usedBytes: number;
    /** Bytes of DICOM instances in the archive (the index's sum of sizes). */
    archiveBytes: number;
    /** STOW-RS is refused while free space is below this many bytes (the larger of the two settings). */
    watermarkFreeBytes: number;
    minFreeBytes: number;
    minFreePercent: number;
    full: boolean;
  };
  /** Jobs by type and state (created, retry, active, dead-letter, …), live queue only. */
  queue: Record<string, Record<string, number>>;
  /** Work done in the last hour and day. */
  throughput: { window: '1h' | '24h'; instancesReceived: number; bytesReceived: number; jobsCompleted: Record<string, number>; jobsFailed: Record<string, number>; deliveriesDelivered: number }[];
  at: string;
}

const n = (v: unknown): number => Number(v ?? 0);

/**
 * The node's operating state as JSON (GET /api/v1/status): storage against the watermark that
 * makes STOW-RS answer 503, queue depth, and throughput. /metrics has the same as Prometheus
 * counters for long-term graphs; this is the operator's glance.
 */
export async function nodeStatus(archive: Archive, storage: { minFreeBytes: number; minFreePercent: number }): Promise<NodeStatus> {
  const db = archive.db.dataSource;
  const disk = await archive.disk();
  const [arch] = (await db.query('SELECT COALESCE(sum(size), 0)::bigint AS bytes FROM instance')) as { bytes: string | number }[];
  // The queue's tables exist once a process started the job workers; before that the queue is empty.
  const [q] = (await db.query(`SELECT to_regclass('${BOSS_SCHEMA}.job') IS NOT NULL AS ready`)) as { ready: boolean }[];
  const queueReady = q?.ready === true;
  const throughput: NodeStatus['throughput'] = [];
  for (const [window, interval] of [['1h', '1 hour'], ['24h', '24 hours']] as const) {
    const [inst] = (await db.query(`SELECT count(*)::int AS n, COALESCE(sum(size), 0)::bigint AS bytes FROM instance WHERE received_at > now() - interval '${interval}'`)) as { n: number; bytes: string | number }[];
    const jobs = !queueReady ? [] : ((await db.query(
      `SELECT name, state::text AS state, count(*)::int AS n FROM (
         SELECT name, state, completed_on FROM ${BOSS_SCHEMA}.job UNION ALL SELECT name, state, completed_on FROM ${BOSS_SCHEMA}.archive) j
        WHERE state IN ('completed', 'failed') AND completed_on > now() - interval '${interval}' GROUP BY name, state`,
    )) as { name: string; state: string; n: number }[]);
    const [del] = (await db.query(`SELECT count(*)::int AS n FROM delivery WHERE status = 'delivered' AND delivered_at > now() - interval '${interval}'`)) as { n: number }[];
    const completed: Record<string, number> = {};
    const failed: Record<string, number> = {};
    for (const j of jobs) (j.state === 'completed' ? completed : failed)[j.name] = n(j.n);
    throughput.push({ window, instancesReceived: n(inst?.n), bytesReceived: n(inst?.bytes), jobsCompleted: completed, jobsFailed: failed, deliveriesDelivered: n(del?.n) });
  }
  const watermark = Math.max(storage.minFreeBytes, Math.ceil((disk.totalBytes * storage.minFreePercent) / 100));
  return {
    storage: { freeBytes: disk.freeBytes, totalBytes: disk.totalBytes, usedBytes: disk.totalBytes - disk.freeBytes, archiveBytes: n(arch?.bytes), watermarkFreeBytes: watermark, minFreeBytes: storage.minFreeBytes, minFreePercent: storage.minFreePercent, full: disk.full },
    queue: queueReady ? await jobCounts(archive.db) : {},
    throughput,
    at: new Date().toISOString(),
  };
}
