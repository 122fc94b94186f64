import { Worker } from 'node:worker_threads';
import type { BlobWrite } from './blob-store.js';
import type { WorkerSetup, WriteReply } from './blob-writer-worker.js';

/** A filled slot of shared memory, ready to be written as one blob. */
export interface Staged {
  /** The object's bytes (a view of the slot; valid until commit or release). */
  bytes: Buffer;
  /** Writes the blob; the slot is free again when this settles. */
  commit(journal?: string): Promise<BlobWrite>;
  /** Gives the slot back without writing (the object was refused). */
  release(): void;
}

/** Default of `stow.writerIdleSeconds`, in ms. */
export const DEFAULT_WRITER_IDLE_MS = 60_000;

interface Crew {
  workers: { worker: Worker; busy: number }[];
  slots: SharedArrayBuffer[];
  free: number[];
}

/**
 * A few worker threads that write whole blobs (blob-writer-worker.ts) from a fixed set of shared
 * memory slots. Blob writes are bound by fsync latency, not CPU, so a handful of workers keep the
 * disk busy while the main thread parses the next parts; the slots bound the memory used for
 * objects in flight, whatever the request size.
 *
 * The threads and slots exist while objects come: they start with the first object and end after
 * `idleMs` without one. Three idle writer threads held ≈ 45 MiB of an idle node's RSS (each
 * thread is a V8 isolate with its own heap and malloc arena) plus 9 MiB of slots
 * (docs/operations.md#memory); starting them again costs a few tens of ms on the next request.
 */
export class BlobWriterPool {
  private readonly pending = new Map<number, { resolve: (w: BlobWrite) => void; reject: (e: Error) => void }>();
  private readonly waiting: ((slot: number) => void)[] = [];
  private crew: Crew | undefined;
  /** Slots taken or waited for; the crew ends only when this is 0. */
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;

  constructor(
    private readonly threads: number,
    private readonly slotCount: number,
    readonly slotBytes: number,
    private readonly target: Omit<WorkerSetup, 'slots'>,
    private readonly idleMs = DEFAULT_WRITER_IDLE_MS,
  ) {}

  /** Whether the writer threads are running (for tests and the status of an idle node). */
  get running(): boolean {
    return this.crew !== undefined;
  }

  private start(): Crew {
    const slots = Array.from({ length: this.slotCount }, () => new SharedArrayBuffer(this.slotBytes));
    const crew: Crew = { workers: [], slots, free: slots.map((_, i) => i) };
    const setup: WorkerSetup = { ...this.target, slots };
    for (let i = 0; i < this.threads; i++) {
      const worker = new Worker(new URL('./blob-writer-worker.js', import.meta.url), { workerData: setup });
      worker.unref();
      const entry = { worker, busy: 0 };
      worker.on('message', (r: WriteReply) => {
        entry.busy--;
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        if (!p) return;
        if ('error' in r) p.reject(new Error(`blob write failed: ${r.error}`));
        else p.resolve({ key: r.key, size: r.size, created: r.created });
      });
      worker.on('error', (err) => {
        for (const [, p] of this.pending) p.reject(err);
        this.pending.clear();
      });
      crew.workers.push(entry);
    }
    return crew;
  }

  /** Copies `chunks` (total `size` ≤ slotBytes) into a free slot, waiting for one if needed. */
  async stage(chunks: readonly Buffer[], size: number): Promise<Staged> {
    if (size > this.slotBytes) throw new RangeError(`object of ${size} bytes does not fit a ${this.slotBytes}-byte slot`);
    clearTimeout(this.timer);
    this.timer = undefined;
    const crew = (this.crew ??= this.start());
    this.inFlight++;
    const slot = crew.free.pop() ?? (await new Promise<number>((resolve) => this.waiting.push(resolve)));
    const bytes = Buffer.from(crew.slots[slot]!, 0, size);
    let at = 0;
    for (const c of chunks) {
      c.copy(bytes, at);
      at += c.length;
    }
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next(slot);
      else crew.free.push(slot);
      if (--this.inFlight === 0) this.armRelease();
    };
    return {
      bytes,
      release,
      commit: (journal) => {
        const entry = crew.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
        const id = this.nextId++;
        entry.busy++;
        return new Promise<BlobWrite>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          entry.worker.postMessage({ id, slot, length: size, journal });
        }).finally(release);
      },
    };
  }

  private armRelease(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.inFlight === 0) void this.stop();
    }, this.idleMs);
    // An idle release must never keep a finished process alive.
    this.timer.unref();
  }

  /** Ends the writer threads and drops the slots (taken out first: a new object starts a new crew). */
  private async stop(): Promise<void> {
    const crew = this.crew;
    this.crew = undefined;
    if (crew) await Promise.all(crew.workers.map((w) => w.worker.terminate()));
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.stop();
  }
}
