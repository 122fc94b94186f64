import fs from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Database } from '../db/data-source.js';
import { BlobStore } from './blob-store.js';

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
}

/** The archive: the blob store plus the index in the database. */
export class Archive {
  readonly blobs: BlobStore;

  constructor(readonly db: Database, readonly log: Logger, private readonly opts: ArchiveOptions) {
    this.blobs = new BlobStore(opts.dir, opts.fsync);
  }

  /** Prepares directories and repairs what a crash may have left (temp files, unindexed blobs). */
  async open(): Promise<void> {
    await this.blobs.init();
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
