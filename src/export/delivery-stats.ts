import type { Database } from '../db/data-source.js';
import type { DeliveryStatus } from './deliveries.js';

export interface DestinationStats {
  destination: string;
  /** Deliveries by status (every status present, 0 when none). */
  counts: Record<DeliveryStatus, number>;
  total: number;
  lastDeliveredAt: string | null;
  /** The most recent failures (dead-letter or retrying), newest first, with their reasons. */
  lastErrors: { deliveryId: string; status: DeliveryStatus; reason: string | null; attempts: number; jobId: string | null; createdAt: string }[];
}

const STATUSES: readonly DeliveryStatus[] = ['awaiting-review', 'pending', 'retrying', 'delivered', 'dead-letter', 'cancelled', 'retracted'];

/**
 * Delivery statistics per destination (GET /api/v1/deliveries/stats): counts by status, the last
 * successful delivery and the last errors. Destinations with no delivery yet are included when
 * named in `destinations` (the configured ones), so an idle destination shows zeros.
 */
export async function deliveryStats(db: Database, destinations: readonly string[] = [], errorsPerDestination = 5): Promise<DestinationStats[]> {
  const counts = (await db.dataSource.query('SELECT destination, status, count(*)::int AS n, max(delivered_at) AS last FROM delivery GROUP BY destination, status')) as { destination: string; status: DeliveryStatus; n: number; last: Date | string | null }[];
  const errors = (await db.dataSource.query(
    `SELECT * FROM (
       SELECT id, destination, status, reason, attempts, job_id, created_at, row_number() OVER (PARTITION BY destination ORDER BY id DESC) AS k
         FROM delivery WHERE status IN ('dead-letter', 'retrying')) e
      WHERE k <= $1 ORDER BY id DESC`,
    [errorsPerDestination],
  )) as { id: string | number; destination: string; status: DeliveryStatus; reason: string | null; attempts: number; job_id: string | null; created_at: Date | string }[];
  const by = new Map<string, DestinationStats>();
  const get = (name: string): DestinationStats => {
    let s = by.get(name);
    if (!s) {
      s = { destination: name, counts: Object.fromEntries(STATUSES.map((k) => [k, 0])) as Record<DeliveryStatus, number>, total: 0, lastDeliveredAt: null, lastErrors: [] };
      by.set(name, s);
    }
    return s;
  };
  for (const name of destinations) get(name);
  for (const c of counts) {
    const s = get(c.destination);
    s.counts[c.status] = Number(c.n);
    s.total += Number(c.n);
    if (c.last && (!s.lastDeliveredAt || new Date(c.last).toISOString() > s.lastDeliveredAt)) s.lastDeliveredAt = new Date(c.last).toISOString();
  }
  for (const e of errors) {
    get(e.destination).lastErrors.push({ deliveryId: String(e.id), status: e.status, reason: e.reason, attempts: Number(e.attempts), jobId: e.job_id, createdAt: new Date(e.created_at).toISOString() });
  }
  return [...by.values()].sort((a, b) => a.destination.localeCompare(b.destination));
}
