import { Worker } from 'node:worker_threads';
import { BY_CALLER, UNCLAIMED, mapSlice, views, type BatchMessage, type BeginMessage, type WorkerReply, type WorkerSetup } from './backproject-worker.js';
import type { AxisMap } from './resample.js';

/**
 * Hands the pipeline's back-projections to one low-priority thread (backproject-worker.ts) while
 * onnxruntime runs the next batch. Never a cost when that thread is starved by other work: a batch
 * that finds both slots busy is mapped on the caller's thread as before, and at the end the caller
 * takes back every slice the thread has not started, so a call waits for at most one slice.
 */
export class BackprojectPool {
  private worker: Worker | undefined;
  private failed: Error | undefined;
  private readonly waiting = new Map<number, { resolve: (r: { mapped: number; ms: number }) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private nextJob = 1;
  /** Pipeline calls between begin and end: the thread holds their buffers. */
  private open = 0;

  constructor(
    /** Batch slots per call: one being mapped by the thread, one filled while it works. */
    readonly slotCount = 2,
    private readonly niceness = 19,
  ) {}

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./backproject-worker.js', import.meta.url), { workerData: { niceness: this.niceness } satisfies WorkerSetup });
    w.on('message', (r: WorkerReply) => {
      const p = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      // Idle, the thread must not keep the process alive; busy, it must (its reply is awaited).
      if (this.waiting.size === 0) w.unref();
      if (!p) return;
      if ('error' in r) p.reject(new Error(`back-projection failed: ${r.error}`));
      else p.resolve(r);
    });
    const fail = (err: Error) => {
      this.failed = err;
      this.worker = undefined;
      for (const [, p] of this.waiting) p.reject(err);
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => code !== 0 && fail(new Error(`back-projection thread exited with code ${code}`)));
    // After the listeners (attaching a 'message' listener refs the worker again).
    w.unref();
    this.worker = w;
    return w;
  }

  /** Whether the thread exists now (it starts on first use and ends in releaseIdleThread). */
  get threadRunning(): boolean {
    return this.worker !== undefined;
  }

  /** Batches sent to the thread that it has not answered yet. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Starts a pipeline call; null when the thread has failed (the caller maps everything itself). */
  begin(out: SharedArrayBuffer, rows: AxisMap, cols: AxisMap, modelCols: number, plane: number, channels: number, sliceVoxels: number, maxBatch: number): BackprojectJob | null {
    if (this.failed) return null;
    const msg: BeginMessage = {
      kind: 'begin', job: this.nextJob++, out, rows, cols, modelCols, plane, channels, sliceVoxels, maxBatch,
      slots: Array.from({ length: this.slotCount }, () => ({ logits: new SharedArrayBuffer(maxBatch * channels * plane * 4), labels: new SharedArrayBuffer(maxBatch * plane) })),
      claims: new SharedArrayBuffer(this.slotCount * maxBatch * 4),
    };
    this.thread().postMessage(msg);
    this.open++;
    return new BackprojectJob(this, msg);
  }

  /** @internal */
  send(msg: BatchMessage): Promise<{ mapped: number; ms: number }> {
    const w = this.thread();
    const done = new Promise<{ mapped: number; ms: number }>((resolve, reject) => this.waiting.set(msg.id, { resolve, reject }));
    w.ref();
    w.postMessage(msg);
    return done;
  }

  /** @internal */
  id(): number {
    return this.nextId++;
  }

  /** @internal */
  end(job: number): void {
    this.open--;
    this.worker?.postMessage({ kind: 'end', job });
  }

  /**
   * Ends the thread if no pipeline call is using it (an idle node need not keep its ≈ 50 MiB); the
   * next call starts a new one. Its listeners go first, so this exit is not taken for a failure.
   */
  async releaseIdleThread(): Promise<void> {
    const w = this.worker;
    if (!w || this.open > 0 || this.waiting.size > 0) return;
    this.worker = undefined;
    w.removeAllListeners();
    w.on('error', () => undefined);
    await w.terminate();
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

/** One pipeline call's use of the pool. */
export class BackprojectJob {
  private readonly shared;
  private readonly busy: ({ n: number; firstSlice: number; reply: Promise<{ mapped: number; ms: number }> } | null)[];
  private ms = 0;
  private mapped = 0;
  private takenBack = 0;

  constructor(
    private readonly pool: BackprojectPool,
    private readonly begin: BeginMessage,
  ) {
    this.shared = views(begin);
    this.busy = begin.slots.map(() => null);
  }

  /**
   * Copies one batch into a free slot for the thread; false when both slots are still busy (the
   * thread is behind, e.g. starved): the caller then maps this batch itself.
   */
  tryOffload(logits: Float32Array, labels: Uint8Array, n: number, firstSlice: number): boolean {
    const slot = this.busy.indexOf(null);
    if (slot < 0 || n > this.begin.maxBatch) return false;
    const v = this.shared.slotViews[slot]!;
    v.logits.set(logits.subarray(0, n * this.begin.channels * this.begin.plane));
    v.labels.set(labels.subarray(0, n * this.begin.plane));
    for (let b = 0; b < n; b++) Atomics.store(this.shared.claimsView, slot * this.begin.maxBatch + b, UNCLAIMED);
    const reply = this.pool.send({ kind: 'batch', job: this.begin.job, id: this.pool.id(), slot, n, firstSlice });
    const entry = { n, firstSlice, reply };
    this.busy[slot] = entry;
    reply.then(
      (r) => {
        this.ms += r.ms;
        this.mapped += r.mapped;
        if (this.busy[slot] === entry) this.busy[slot] = null;
      },
      () => undefined, // surfaced by finish()
    );
    return true;
  }

  /**
   * Takes back the slices the thread has not started and maps them here, then waits for the
   * thread's replies (at most the one slice it is working on).
   */
  async finish(): Promise<{ threadMs: number; mapped: number; takenBackMs: number; takenBack: number }> {
    try {
      let ms = 0;
      for (const [slot, e] of this.busy.entries()) {
        if (!e) continue;
        for (let b = 0; b < e.n; b++) {
          if (Atomics.compareExchange(this.shared.claimsView, slot * this.begin.maxBatch + b, UNCLAIMED, BY_CALLER) !== UNCLAIMED) continue;
          const t0 = performance.now();
          mapSlice(this.shared, slot, b, e.firstSlice);
          ms += performance.now() - t0;
          this.takenBack++;
        }
      }
      await Promise.all(this.busy.map((e) => e?.reply));
      return { threadMs: this.ms, mapped: this.mapped, takenBackMs: ms, takenBack: this.takenBack };
    } finally {
      this.pool.end(this.begin.job);
    }
  }
}

let shared: BackprojectPool | undefined;

/** The process-wide pool (one thread, created on first use, never keeps an idle process alive). */
export function sharedBackprojectPool(): BackprojectPool {
  shared ??= new BackprojectPool();
  return shared;
}
