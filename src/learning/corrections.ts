import type { Database } from '../db/data-source.js';
import type { SegmentDice } from '../review/dice.js';

export interface CorrectionRate {
  name: string;
  /** Accepted and corrected reviews of this model's results (rejections carry no segmentation). */
  reviews: number;
  /** Mean Dice between the AI SEG and the reader's final SEG (an acceptance counts as 1). */
  meanDice: number | null;
  /** Share of those reviews in which the reader changed this structure (Dice < 1). */
  changedFraction: number | null;
}

/**
 * How much readers correct each structure of a model (contract: GET /api/v1/models/:id/corrections),
 * from the per-segment Dice stored with every correction (src/review/dice.ts). Segments are matched
 * to the card's labels by name; a split-laterality suffix (_L / _R) is folded into its structure.
 */
export async function correctionRates(db: Database, modelId: string, labels: readonly string[]): Promise<CorrectionRate[]> {
  const rows = (await db.dataSource.query(
    `SELECT r.action, r.dice FROM review r JOIN ai_result a ON a.id = r.result_id WHERE a.model_id = $1 AND r.action IN ('accept', 'correct')`,
    [modelId],
  )) as { action: 'accept' | 'correct'; dice: SegmentDice[] | string | null }[];
  const acc = new Map(labels.map((l) => [l, { n: 0, sum: 0, changed: 0 }]));
  for (const r of rows) {
    const perName = new Map<string, number[]>();
    if (r.action === 'correct') {
      const dice = (typeof r.dice === 'string' ? JSON.parse(r.dice) : r.dice) as SegmentDice[] | null;
      for (const d of dice ?? []) {
        const name = d.label.replace(/_[LR]$/, '');
        perName.set(name, [...(perName.get(name) ?? []), d.dice]);
      }
    }
    for (const [name, a] of acc) {
      // Accepted as is: every structure unchanged. Corrected: a structure without a segment in
      // the AI SEG was neither predicted nor changed by the reader's SEG comparison; skip it.
      const values = r.action === 'accept' ? [1] : perName.get(name);
      if (!values) continue;
      const dice = values.reduce((x, y) => x + y, 0) / values.length;
      a.n++;
      a.sum += dice;
      if (dice < 1) a.changed++;
    }
  }
  return [...acc].map(([name, a]) => ({ name, reviews: a.n, meanDice: a.n ? a.sum / a.n : null, changedFraction: a.n ? a.changed / a.n : null }));
}
