import { NEED_MORE, scanPart10, type ScannedHeader } from '../dicom/header-scan.js';
import { encapsulatedEndsInTail } from '../dicom/pixel-data-end.js';
import { FailureReason } from '../dicom/status.js';
import type { Archive } from './archive.js';
import type { BlobJournal } from './blob-store.js';
import type { Staged } from './blob-writer-pool.js';
import { indexBatch, type PendingInstance } from './index-writer.js';
import { INDEX_TAGS, InstanceRejected, rejectionOf, toInstanceRecord, type InstanceRecord } from './instance-record.js';
import { metaDisagreement, repairMeta } from './meta-repair.js';
import { receivePart, type ReceivedPart } from './part-receiver.js';

/** What happened to one object of a store request, in request order. */
export type StoreResult =
  | { status: 'stored'; alreadyStored: boolean; record: StoredInstance; size: number }
  | { status: 'failed'; reason: number; message: string; sopClassUid?: string; sopInstanceUid?: string };

/**
 * What a stored object's result keeps of its index record: the UIDs the response (PS3.18 Table
 * 10.5.3-1) and routing need. A request of thousands of instances holds one per instance until
 * it answers; the whole record (≈ 30 attributes) made the 1 GB request's heap grow by ≈ 4 KiB per
 * instance (docs/benchmarks.md).
 */
export type StoredInstance = Pick<InstanceRecord, 'sopInstanceUid' | 'sopClassUid' | 'studyInstanceUid' | 'seriesInstanceUid'>;

export interface IngestOptions {
  /** The study of the request URL (PS3.18 §10.5.1): instances of other studies fail. */
  expectedStudyUid?: string;
  maxInstanceBytes: number;
  /** Blobs written and fsynced in parallel. */
  concurrency: number;
  /** Instances per index transaction. */
  batchSize?: number;
  memoryLimit?: number;
}

const HEAD_LIMIT = 4 * 1024 * 1024;

/**
 * Stores the objects of one request: each body is received and hashed, its header scanned, its
 * blob written (temp → fsync → rename, in parallel up to `concurrency`), and then indexed in
 * batches. Blob first, then index; a batch whose transaction fails has its new blobs removed.
 */
export class IngestSession {
  private readonly results: (StoreResult | undefined)[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private batch: { i: number; pending: PendingInstance; created: boolean }[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly journal: BlobJournal;
  /** The commit of the latest object of this request under each SOP Instance UID. */
  private readonly lastByUid = new Map<string, Promise<void>>();
  /** One string per study / series UID of the request, shared by its results. */
  private readonly uids = new Map<string, string>();

  constructor(private readonly archive: Archive, private readonly opts: IngestOptions) {
    this.journal = archive.blobs.journal();
  }

  /** Consumes one object's body. Resolves when the session can take the next one. */
  async add(body: AsyncIterable<Buffer>): Promise<void> {
    const i = this.results.push(undefined) - 1;
    let part: ReceivedPart;
    let record: InstanceRecord;
    try {
      part = await receivePart(body, this.archive.blobs, { maxBytes: this.opts.maxInstanceBytes, memoryLimit: this.opts.memoryLimit ?? HEAD_LIMIT, headBytes: HEAD_LIMIT });
    } catch (err) {
      this.fail(i, err);
      return;
    }
    // Small objects are staged (copied once into a writer slot) and checked from there.
    let staged = part.chunks ? await this.archive.blobs.stage(part.chunks, part.size) : undefined;
    if (staged) part.head = staged.bytes;
    try {
      let header = scan(part);
      const uids = metaDisagreement(header);
      if (uids) {
        const old = staged;
        staged = undefined; // repairMeta releases the old slot
        staged = await repairMeta(part, old, this.archive.blobs, uids);
        header = scan(part);
        // UIDs may identify a patient's study: the log names only the object's position and class.
        this.archive.log.warn({ object: i + 1, sopClassUid: uids.sopClassUid }, 'File Meta Information named another SOP Instance / Class than the data set; meta header rewritten from the data set (PS3.10 §7.1)');
      }
      record = toInstanceRecord(header);
      checkComplete(record, part);
      if (this.opts.expectedStudyUid && record.studyInstanceUid !== this.opts.expectedStudyUid) {
        throw new InstanceRejected(`StudyInstanceUID ${record.studyInstanceUid} does not match the study ${this.opts.expectedStudyUid} of the request URL`, FailureReason.dataSetMismatch, record.sopClassUid, record.sopInstanceUid);
      }
    } catch (err) {
      staged?.release();
      if (part.tempPath) await this.archive.blobs.discardTemp(part.tempPath);
      this.fail(i, err);
      return;
    }
    // Keep first (docs/conformance.md): blobs are written in parallel and batched as they finish,
    // so a later object re-using an earlier one's UID waits for the commit before it; the earlier
    // object then reaches the index first and the later one is the duplicate (0111).
    const uid = record.sopInstanceUid;
    const earlier = this.lastByUid.get(uid);
    const task = (earlier ?? Promise.resolve()).then(() => this.commit(i, part, record, staged)).catch((err) => this.fail(i, err, record));
    this.lastByUid.set(uid, task);
    this.inflight.add(task);
    void task.finally(() => {
      this.inflight.delete(task);
      // Committed: the object is in a batch, so a later one with its UID is ordered after it anyway.
      if (this.lastByUid.get(uid) === task) this.lastByUid.delete(uid);
    });
    while (this.inflight.size >= this.opts.concurrency) await Promise.race(this.inflight);
  }

  /** Records a failure for an object whose body could not be received at all (e.g. wrong type). */
  reject(error: InstanceRejected): void {
    this.results.push({ status: 'failed', reason: error.reason, message: error.message, sopClassUid: error.sopClassUid, sopInstanceUid: error.sopInstanceUid });
  }

  /** Waits for every blob and index write; returns one result per object. */
  async finish(): Promise<StoreResult[]> {
    await Promise.all([...this.inflight]);
    await this.enqueueFlush();
    await this.journal.close();
    return this.results.map((r) => r ?? { status: 'failed', reason: FailureReason.processingFailure, message: 'not processed' });
  }

  /** After a broken request: wait for what is in flight, index it, and keep nothing half-done. */
  async abort(): Promise<StoreResult[]> {
    return this.finish();
  }

  private async commit(i: number, part: ReceivedPart, record: InstanceRecord, staged: Staged | undefined): Promise<void> {
    const write = staged ? await staged.commit(this.journal.file) : await this.archive.blobs.commitTemp(part.tempPath!, part.sha256!, part.size, this.journal);
    this.batch.push({ i, pending: { record, sha256: write.key, size: part.size }, created: write.created });
    if (this.batch.length >= (this.opts.batchSize ?? 200)) await this.enqueueFlush();
  }

  private enqueueFlush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flush());
    return this.flushing;
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    try {
      const outcomes = await this.archive.db.transaction((m) => indexBatch(m, batch.map((b) => b.pending)));
      outcomes.forEach((o, k) => {
        const { i, pending } = batch[k]!;
        if (o.status === 'rejected') this.fail(i, o.error, pending.record);
        else this.results[i] = { status: 'stored', alreadyStored: o.status === 'already-stored', record: this.stored(pending.record), size: pending.size };
      });
      // A rejected object's new blob is not referenced by anything: remove it.
      await this.removeUnindexed(batch.filter((b, k) => b.created && outcomes[k]!.status === 'rejected').map((b) => b.pending.sha256));
    } catch (err) {
      this.archive.log.error({ err }, 'index write failed; removing the batch blobs');
      await this.removeUnindexed(batch.filter((b) => b.created).map((b) => b.pending.sha256));
      for (const { i, pending } of batch) this.fail(i, new InstanceRejected('the index could not be written; nothing was stored', FailureReason.processingFailure), pending.record);
    }
  }

  private stored(r: InstanceRecord): StoredInstance {
    const shared = (uid: string): string => this.uids.get(uid) ?? (this.uids.set(uid, uid), uid);
    return { sopInstanceUid: r.sopInstanceUid, sopClassUid: shared(r.sopClassUid), studyInstanceUid: shared(r.studyInstanceUid), seriesInstanceUid: shared(r.seriesInstanceUid) };
  }

  private async removeUnindexed(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const known = await this.archive.indexedKeys(keys);
    for (const key of keys) if (!known.has(key)) await this.archive.blobs.remove(key);
  }

  private fail(i: number, err: unknown, record?: InstanceRecord): void {
    const r = rejectionOf(err);
    if (r.reason === FailureReason.processingFailure && !(err instanceof InstanceRejected)) {
      this.archive.log.error({ err }, 'unexpected error while storing an instance');
    }
    this.results[i] = { status: 'failed', reason: r.reason, message: r.message, sopClassUid: r.sopClassUid ?? record?.sopClassUid, sopInstanceUid: r.sopInstanceUid ?? record?.sopInstanceUid };
  }
}

function scan(part: ReceivedPart): ScannedHeader {
  const h = scanPart10(part.head, part.whole && part.head.length === part.size, INDEX_TAGS);
  if (h === NEED_MORE) throw new InstanceRejected(`the data set header is larger than ${HEAD_LIMIT} bytes before Pixel Data`, FailureReason.outOfResources);
  return h;
}

/** A Part 10 object whose Pixel Data ends past the end of the body was truncated in transit. */
function checkComplete(record: InstanceRecord, part: ReceivedPart): void {
  const px = record.pixelData;
  if (!px) return;
  const truncated = px.length >= 0 ? px.offset + px.length > part.size : !encapsulatedEndsInTail(part.tail);
  if (truncated) {
    throw new InstanceRejected('the object is truncated: Pixel Data ends beyond the end of the part (PS3.5 §7.1, §A.4)', FailureReason.cannotUnderstand, record.sopClassUid, record.sopInstanceUid);
  }
}
