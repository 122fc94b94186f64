/**
 * The review policy hook (issue 5 item 6). Routing / delivery subscribes with `onReviewed` and
 * decides what to send: a result with delivery 'after_review' goes to the PACS only once a reader
 * accepted it (send `deliver`, the AI SEG) or corrected it (send `deliver`, the corrected SEG);
 * a rejected one has no `deliver` and must not be sent.
 *
 * Listeners run after the review is committed, one after another; a throwing listener is logged
 * and does not undo the review nor stop the other listeners (delivery has its own retries).
 */
import type { Logger } from 'pino';
import type { SegmentedResult } from './results.js';
import type { Review } from './reviews.js';

export interface DeliverySeg {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

export interface ReviewedEvent {
  /** The result with its new status (only results with a SEG are reviewed). */
  result: SegmentedResult;
  review: Review;
  /** What goes to the PACS for this result; undefined when rejected. */
  deliver: DeliverySeg | undefined;
}

export type ReviewedListener = (event: ReviewedEvent) => void | Promise<void>;

export class ReviewEvents {
  private readonly listeners = new Set<ReviewedListener>();

  constructor(private readonly log?: Logger) {}

  /** Subscribes; returns the unsubscribe function. */
  onReviewed(listener: ReviewedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async emit(event: ReviewedEvent): Promise<void> {
    for (const l of [...this.listeners]) {
      try {
        await l(event);
      } catch (err) {
        this.log?.error({ err, resultId: event.result.id, reviewId: event.review.id }, 'a review listener failed');
      }
    }
  }
}

/** What a review delivers (the policy in one place, so routing and tests agree). */
export function deliveryFor(result: SegmentedResult, review: Pick<Review, 'action' | 'correctedSeriesInstanceUid' | 'correctedSopInstanceUid'>): DeliverySeg | undefined {
  if (review.action === 'reject') return undefined;
  if (review.action === 'correct') {
    return { studyInstanceUid: result.studyInstanceUid, seriesInstanceUid: review.correctedSeriesInstanceUid!, sopInstanceUid: review.correctedSopInstanceUid! };
  }
  return { studyInstanceUid: result.studyInstanceUid, seriesInstanceUid: result.segSeriesInstanceUid, sopInstanceUid: result.segSopInstanceUid };
}
