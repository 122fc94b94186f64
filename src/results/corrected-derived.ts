/**
 * The SR (and overlay) of a corrected result (issue 18 item 3): when a reader's correction is
 * recorded, the corrected SEG gets its own measurement report, with the same tracking UIDs as the
 * AI result's (they derive from source series and label, src/sr/tracking.ts), so a PACS or a
 * reader's system sees the same findings with corrected numbers. The overlay is redrawn too when
 * the AI result had one (a destination asked for it).
 *
 * Durable without a job of its own: every correction without a measurement report is found by
 * one query, on the review event and on every stability tick, so a crash between the review's
 * commit and the report only delays it. Runs one at a time in the process (both callers share the
 * chain). A correction whose report cannot be made (e.g. its SEG is not on the source grid) is
 * logged once and not tried again until restart; its awaiting-review SR rows then wait.
 */
import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import { deriveFromArchive, recordedDerived } from './derived-store.js';

interface PendingCorrection {
  review_id: string | number;
  result_id: string | number;
  corrected: string;
  study: string;
  source: string;
  model_id: string;
  generation: number;
  model_sha256: string | null;
}

export class CorrectedDerived {
  private chain: Promise<void> = Promise.resolve();
  private readonly failed = new Set<string>();

  constructor(private readonly archive: Archive, private readonly softwareVersion: string, private readonly log: Logger) {}

  /** Makes the missing reports; resolves when this call's pass is done. Never throws. */
  ensure(): Promise<void> {
    this.chain = this.chain.then(() => this.pass()).catch((err: Error) => this.log.error({ err: err.message }, 'corrected measurement reports: pass failed'));
    return this.chain;
  }

  private async pass(): Promise<void> {
    const rows = (await this.archive.db.dataSource.query(
      `SELECT r.id AS review_id, r.result_id, r.corrected_sop_instance_uid AS corrected, a.study_instance_uid AS study, a.source_series_instance_uid AS source,
              a.model_id, a.generation, a.model_sha256
         FROM review r JOIN ai_result a ON a.id = r.result_id
        WHERE r.action = 'correct' AND r.corrected_sop_instance_uid IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM result_measurement m WHERE m.review_id = r.id)
        ORDER BY r.id LIMIT 20`,
    )) as PendingCorrection[];
    for (const r of rows) {
      const reviewId = String(r.review_id);
      if (this.failed.has(reviewId)) continue;
      const resultId = String(r.result_id);
      try {
        const ai = await recordedDerived(this.archive, resultId, null);
        await deriveFromArchive(
          this.archive,
          { id: resultId, studyInstanceUid: r.study, sourceSeriesInstanceUid: r.source, modelId: r.model_id, generation: Number(r.generation), modelSha256: r.model_sha256 },
          r.corrected,
          { reviewId, overlay: (ai?.overlay.length ?? 0) > 0, producer: `Dafne ${r.model_id} gen ${r.generation} corrected`, softwareVersion: this.softwareVersion, log: this.log },
        );
      } catch (err) {
        this.failed.add(reviewId);
        this.log.warn({ aiResult: resultId, reviewId, err: (err as Error).message }, 'no measurement report for the corrected SEG');
      }
    }
  }
}
