/**
 * Accept / correct / reject an AI result (issue 5). Each review is one row in `review`, moves the
 * result out of 'pending' exactly once (a second reader gets a conflict), is written to the audit
 * trail in the same transaction, and is announced to `onReviewed` listeners after the commit.
 */
import type { Archive } from '../archive/archive.js';
import { isValidUid } from '../dicom/uids.js';
import { SegReadError } from '../seg/seg-reader.js';
import { AuditTrail } from './audit.js';
import type { SegmentDice } from './dice.js';
import { deliveryFor, ReviewEvents } from './review-events.js';
import { ResultRepository, type NewAiResult, type SegmentedResult } from './results.js';
import { compareSegs, loadInstance, SegPairError, sourceGeometry } from './seg-pair.js';

export type ReviewAction = 'accept' | 'correct' | 'reject';

export interface Review {
  id: string;
  resultId: string;
  action: ReviewAction;
  reader: string;
  at: string;
  reason: string | null;
  correctedSeriesInstanceUid: string | null;
  correctedSopInstanceUid: string | null;
  dice: SegmentDice[] | null;
}

export type ReviewInput =
  | { action: 'accept' }
  | { action: 'reject'; reason: string }
  | { action: 'correct'; correctedSopInstanceUid: string };

/** What went wrong, in the error catalog's terms (the routes map `code` to an HTTP status). */
export class ReviewError extends Error {
  constructor(readonly code: 'not_found' | 'conflict' | 'bad_request', message: string) {
    super(message);
    this.name = 'ReviewError';
  }
}

const STATUS_AFTER: Record<ReviewAction, SegmentedResult['status']> = { accept: 'accepted', correct: 'corrected', reject: 'rejected' };

interface ReviewRow {
  id: string | number;
  result_id: string | number;
  action: ReviewAction;
  reader: string;
  at: Date | string;
  reason: string | null;
  corrected_series_instance_uid: string | null;
  corrected_sop_instance_uid: string | null;
  dice: SegmentDice[] | string | null;
}

const toReview = (r: ReviewRow): Review => ({
  id: String(r.id),
  resultId: String(r.result_id),
  action: r.action,
  reader: r.reader,
  at: new Date(r.at).toISOString(),
  reason: r.reason,
  correctedSeriesInstanceUid: r.corrected_series_instance_uid,
  correctedSopInstanceUid: r.corrected_sop_instance_uid,
  dice: typeof r.dice === 'string' ? (JSON.parse(r.dice) as SegmentDice[]) : r.dice,
});

export class ReviewService {
  readonly results: ResultRepository;
  readonly audit: AuditTrail;

  constructor(
    private readonly archive: Archive,
    readonly events: ReviewEvents,
  ) {
    this.results = new ResultRepository(archive.db);
    this.audit = new AuditTrail(archive.db);
  }

  get db() {
    return this.archive.db;
  }

  /** Registers an AI SEG already in the archive as a result awaiting review. */
  async register(input: NewAiResult, actor: string): Promise<SegmentedResult> {
    for (const uid of [input.studyInstanceUid, input.sourceSeriesInstanceUid, input.segSeriesInstanceUid, input.segSopInstanceUid]) {
      if (!isValidUid(uid)) throw new ReviewError('bad_request', `not a valid DICOM UID: ${uid}`);
    }
    const seg = await loadInstance(this.archive, input.studyInstanceUid, input.segSopInstanceUid);
    if (!seg || seg.instance.seriesInstanceUid !== input.segSeriesInstanceUid) throw new ReviewError('bad_request', 'the AI SEG is not in the archive (store it by STOW-RS first)');
    return this.archive.db.transaction(async (m) => {
      const r = await this.results.create(input, m);
      await this.audit.append(actor, 'result.registered', r.id, { modelId: r.modelId, generation: r.generation, segSopInstanceUid: r.segSopInstanceUid }, m);
      return r;
    });
  }

  async review(resultId: string, reader: string, input: ReviewInput): Promise<{ result: SegmentedResult; review: Review }> {
    const result = await this.results.get(resultId);
    if (!result) throw new ReviewError('not_found', `no AI result ${resultId}`);
    // A skipped series has no SEG: there is nothing to accept, correct or reject. Its status is
    // 'skipped', so the transition below would refuse it too; this says why.
    if (result.outcome === 'skipped') throw new ReviewError('conflict', `AI result ${resultId} has no SEG to review (${result.reason})`);
    if (result.status !== 'pending') throw new ReviewError('conflict', `AI result ${resultId} was already reviewed (${result.status})`);
    let reason: string | null = null;
    let corrected: { series: string; sop: string; dice: SegmentDice[] } | undefined;
    if (input.action === 'reject') {
      reason = input.reason?.trim() ?? '';
      if (!reason) throw new ReviewError('bad_request', 'a rejection needs a reason');
    } else if (input.action === 'correct') {
      corrected = await this.checkCorrection(result, input.correctedSopInstanceUid);
    }
    const saved = await this.archive.db.transaction(async (m) => {
      if (!(await this.results.transition(result.id, 'pending', STATUS_AFTER[input.action], m))) {
        throw new ReviewError('conflict', `AI result ${resultId} was reviewed by someone else meanwhile`);
      }
      const rows = (await m.query(
        `INSERT INTO review (result_id, action, reader, reason, corrected_series_instance_uid, corrected_sop_instance_uid, dice)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [result.id, input.action, reader, reason, corrected?.series ?? null, corrected?.sop ?? null, corrected ? JSON.stringify(corrected.dice) : null],
      )) as ReviewRow[];
      const review = toReview(rows[0]!);
      await this.audit.append(reader, `review.${input.action}`, result.id, { reviewId: review.id, reason, correctedSopInstanceUid: corrected?.sop, dice: corrected?.dice.map((d) => ({ segment: d.label, dice: d.dice })) }, m);
      return review;
    });
    const updated = { ...result, status: STATUS_AFTER[input.action] };
    await this.events.emit({ result: updated, review: saved, deliver: deliveryFor(updated, saved) });
    return { result: updated, review: saved };
  }

  /** The corrected SEG must be stored, be another instance, and describe the same source series. */
  private async checkCorrection(result: SegmentedResult, sopUid: string): Promise<{ series: string; sop: string; dice: SegmentDice[] }> {
    if (!isValidUid(sopUid)) throw new ReviewError('bad_request', 'correctedSopInstanceUid is not a valid DICOM UID');
    if (sopUid === result.segSopInstanceUid) throw new ReviewError('bad_request', 'the corrected SEG is the AI SEG itself');
    const [ai, corr] = await Promise.all([loadInstance(this.archive, result.studyInstanceUid, result.segSopInstanceUid), loadInstance(this.archive, result.studyInstanceUid, sopUid)]);
    if (!ai) throw new ReviewError('conflict', 'the AI SEG of this result is no longer in the archive');
    if (!corr) throw new ReviewError('bad_request', `the corrected SEG ${sopUid} is not in this study's archive (store it by STOW-RS first)`);
    try {
      const grid = await sourceGeometry(this.archive, result.studyInstanceUid, result.sourceSeriesInstanceUid);
      const cmp = compareSegs(ai.bytes, corr.bytes, grid);
      if (cmp.corrected.referencedSeriesUid !== result.sourceSeriesInstanceUid) {
        throw new ReviewError('bad_request', `the corrected SEG references series ${cmp.corrected.referencedSeriesUid ?? '(none)'}, not the source series ${result.sourceSeriesInstanceUid}`);
      }
      return { series: corr.instance.seriesInstanceUid, sop: sopUid, dice: cmp.dice };
    } catch (err) {
      if (err instanceof SegReadError || err instanceof SegPairError) throw new ReviewError('bad_request', `the corrected SEG cannot be compared: ${err.message}`);
      throw err;
    }
  }

  async list(f: { resultId?: string; studyInstanceUid?: string; limit?: number } = {}): Promise<Review[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.resultId) where.push(`r.result_id = $${params.push(f.resultId)}`);
    if (f.studyInstanceUid) where.push(`a.study_instance_uid = $${params.push(f.studyInstanceUid)}`);
    const limit = Math.min(Math.max(f.limit ?? 200, 1), 5000);
    const rows = (await this.archive.db.dataSource.query(
      `SELECT r.* FROM review r JOIN ai_result a ON a.id = r.result_id ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.id DESC LIMIT ${limit}`,
      params,
    )) as ReviewRow[];
    return rows.map(toReview);
  }
}
