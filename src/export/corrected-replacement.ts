/**
 * After a correction (review policy after-review), what replaces each waiting delivery of the AI
 * result: the corrected SEG for the SEG, the corrected result's SR for the SR, and the overlay
 * instance of the same slice (Instance Number) for each overlay instance (issue 18 item 3).
 */
import type { Database } from '../db/data-source.js';

/** The object kind of a delivered SOP Instance UID: undefined for a SEG (not in result_object). */
export async function derivedKind(db: Database, sop: string): Promise<{ kind: 'sr' | 'sc-overlay'; instanceNumber: number | null } | undefined> {
  const [r] = (await db.dataSource.query('SELECT kind, instance_number AS n FROM result_object WHERE sop_instance_uid = $1', [sop])) as { kind: 'sr' | 'sc-overlay'; n: number | null }[];
  return r ? { kind: r.kind, instanceNumber: r.n === null ? null : Number(r.n) } : undefined;
}

/**
 * The corrected result's object of the same kind (and slice), from its latest correction; undefined
 * while its measurement report is not made yet (corrected-derived.ts makes it; the caller waits).
 */
export async function correctedObject(db: Database, resultId: string | number, kind: 'sr' | 'sc-overlay', instanceNumber: number | null): Promise<string | undefined> {
  const [r] = (await db.dataSource.query(
    `SELECT o.sop_instance_uid AS sop FROM result_object o
      WHERE o.ai_result_id = $1 AND o.kind = $2 AND o.instance_number IS NOT DISTINCT FROM $3
        AND o.review_id = (SELECT max(id) FROM review WHERE result_id = $1 AND action = 'correct')`,
    [resultId, kind, instanceNumber],
  )) as { sop: string }[];
  return r?.sop;
}
