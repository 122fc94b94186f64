import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Database } from '../db/data-source.js';
import { BlobStore } from './blob-store.js';
import { BlobWriterPool } from './blob-writer-pool.js';

export interface DiskState {
  freeBytes: number;
  totalBytes: number;
  /** True while free space is below a watermark: new objects are refused (503). */
  full: boolean;
}

export interface ArchiveOptions {
  dir: string;
  fsync: boolean;
  minFreeBytes: number;
  minFreePercent: number;
  /** Worker threads writing blobs (0: the main thread's async I/O). */
  writerThreads: number;
  /** Objects written in parallel per request (sizes the writer pool's memory). */
  writeConcurrency: number;
  /** ms without a blob write after which the writer threads end (default 60 s). */
  writerIdleMs?: number;
}

/** The archive: the blob store plus the index in the database. */
export class Archive {
  readonly blobs: BlobStore;

  private readonly writers: BlobWriterPool | undefined;

  constructor(readonly db: Database, readonly log: Logger, private readonly opts: ArchiveOptions) {
    const root = path.resolve(opts.dir);
    // One slot per object in flight (plus one); objects up to 1 MiB (single-frame images) go
    // through the pool, larger ones through the main thread's async I/O.
    this.writers = opts.writerThreads > 0 ? new BlobWriterPool(opts.writerThreads, opts.writeConcurrency + 1, 1024 * 1024, { root, tmpDir: path.join(root, '.tmp'), fsync: opts.fsync }, opts.writerIdleMs) : undefined;
    this.blobs = new BlobStore(root, opts.fsync, this.writers);
  }

  /** Whether the blob writer threads are running (they end after stow.writerIdleSeconds). */
  get writerThreadsRunning(): boolean {
    return this.writers?.running ?? false;
  }

  async close(): Promise<void> {
    await this.writers?.close();
  }

  /**
   * Prepares directories and repairs what a crash may have left (temp files, unindexed blobs).
   * `recover: false` skips the repair: a `worker` sharing the blob store with a serving node must
   * not remove that node's in-flight temp files and not-yet-indexed blobs.
   */
  async open(opts: { recover?: boolean } = {}): Promise<void> {
    await this.blobs.init();
    if (opts.recover === false) return;
    const r = await this.blobs.recover((keys) => this.indexedKeys(keys));
    if (r.tempFiles || r.orphans) this.log.warn(r, 'recovered from an interrupted store: removed temp files and blobs that were never indexed');
  }

  /** Which of `keys` the index references. */
  async indexedKeys(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = (await this.db.dataSource.query('SELECT DISTINCT sha256 FROM instance WHERE sha256 = ANY($1)', [keys])) as { sha256: string }[];
    return new Set(rows.map((r) => r.sha256));
  }

  async disk(): Promise<DiskState> {
    const st = await fs.statfs(this.blobs.root);
    const freeBytes = st.bavail * st.bsize;
    const totalBytes = st.blocks * st.bsize;
    const full = freeBytes < this.opts.minFreeBytes || (totalBytes > 0 && (100 * freeBytes) / totalBytes < this.opts.minFreePercent);
    return { freeBytes, totalBytes, full };
  }
}
