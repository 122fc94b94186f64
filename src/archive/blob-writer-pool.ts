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

/**
 * A few worker threads that write whole blobs (blob-writer-worker.ts) from a fixed set of shared
 * memory slots. Blob writes are bound by fsync latency, not CPU, so a handful of workers keep the
 * disk busy while the main thread parses the next parts; the slots bound the memory used for
 * objects in flight, whatever the request size.
 */
export class BlobWriterPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, { resolve: (w: BlobWrite) => void; reject: (e: Error) => void }>();
  private readonly slots: SharedArrayBuffer[];
  private readonly free: number[];
  private readonly waiting: ((slot: number) => void)[] = [];
  private nextId = 1;

  constructor(threads: number, slotCount: number, readonly slotBytes: number, target: Omit<WorkerSetup, 'slots'>) {
    this.slots = Array.from({ length: slotCount }, () => new SharedArrayBuffer(slotBytes));
    this.free = this.slots.map((_, i) => i);
    const setup: WorkerSetup = { ...target, slots: this.slots };
    for (let i = 0; i < threads; i++) {
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
      this.workers.push(entry);
    }
  }

  /** Copies `chunks` (total `size` ≤ slotBytes) into a free slot, waiting for one if needed. */
  async stage(chunks: readonly Buffer[], size: number): Promise<Staged> {
    if (size > this.slotBytes) throw new RangeError(`object of ${size} bytes does not fit a ${this.slotBytes}-byte slot`);
    const slot = this.free.pop() ?? (await new Promise<number>((resolve) => this.waiting.push(resolve)));
    const bytes = Buffer.from(this.slots[slot]!, 0, size);
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
      else this.free.push(slot);
    };
    return {
      bytes,
      release,
      commit: (journal) => {
        const entry = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
        const id = this.nextId++;
        entry.busy++;
        return new Promise<BlobWrite>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          entry.worker.postMessage({ id, slot, length: size, journal });
        }).finally(release);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
