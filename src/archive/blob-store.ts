import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BlobWriterPool, Staged } from './blob-writer-pool.js';

/** Result of writing one blob. */
export interface BlobWrite {
  /** Content address: lowercase hex SHA-256 of the bytes. */
  key: string;
  size: number;
  /** False when an identical blob was already stored (nothing was written). */
  created: boolean;
}

const KEY = /^[0-9a-f]{64}$/;

export class BlobKeyError extends Error {}

/**
 * A content-addressed file store. It knows nothing about DICOM: bytes go in, a SHA-256 key comes
 * out. A blob appears under its final name only by an atomic rename of a fully written (and,
 * by default, fsynced) temp file, so a crash leaves either nothing or a complete blob. Keys that
 * were renamed into place but not yet indexed are listed in a per-writer journal; `recover()`
 * (run at start) deletes those the index does not know.
 */
export class BlobStore {
  readonly root: string;
  private readonly tmpDir: string;
  private readonly journalDir: string;
  private readonly dirs = new Set<string>();

  constructor(root: string, private readonly fsync = true, private readonly pool?: BlobWriterPool) {
    this.root = path.resolve(root);
    this.tmpDir = path.join(this.root, '.tmp');
    this.journalDir = path.join(this.root, '.journal');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.tmpDir, { recursive: true });
    await fs.mkdir(this.journalDir, { recursive: true });
  }

  pathOf(key: string): string {
    if (!KEY.test(key)) throw new BlobKeyError(`invalid blob key ${JSON.stringify(key)}`);
    return path.join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  /** A temp file for a streaming writer; the caller then calls `commitTemp` or `discardTemp`. */
  async openTemp(): Promise<{ path: string; handle: fs.FileHandle }> {
    const p = path.join(this.tmpDir, randomUUID());
    return { path: p, handle: await fs.open(p, 'wx') };
  }

  /**
   * Moves a fully written temp file to its content address. If the same content is already
   * stored, the temp file is dropped and `created` is false (idempotent store).
   */
  async commitTemp(tempPath: string, key: string, size: number, journal?: BlobJournal, knownAbsent = false): Promise<BlobWrite> {
    const final = this.pathOf(key);
    if (!knownAbsent) try {
      const st = await fs.stat(final);
      if (st.size === size) {
        await fs.rm(tempPath, { force: true });
        return { key, size, created: false };
      }
      // Same hash, different size cannot happen for intact files: a damaged blob is replaced.
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const dir = path.dirname(final);
    // 65,536 fan-out directories at most: remember the ones made instead of a mkdir per blob.
    if (!this.dirs.has(dir)) {
      await fs.mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    if (journal) await journal.add(key);
    await fs.rename(tempPath, final);
    return { key, size, created: true };
  }

  async discardTemp(tempPath: string): Promise<void> {
    await fs.rm(tempPath, { force: true });
  }

  /**
   * The ingest path: puts an object's bytes where a blob writer can take them (a shared-memory
   * slot of the writer pool, or a buffer of its own) so that header checks can read them first;
   * then `commit` writes the blob, or `release` drops it.
   */
  async stage(chunks: Buffer[], size: number): Promise<Staged> {
    if (this.pool && size <= this.pool.slotBytes) return this.pool.stage(chunks, size);
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    return { bytes, release: () => undefined, commit: (journal) => this.put(bytes, journal ? this.journalFor(journal) : undefined) };
  }

  /** The journal object for a journal file (stage() callers pass the file path). */
  private journalFor(file: string): BlobJournal {
    return new BlobJournal(file, false);
  }

  /** Writes a whole buffer (small objects: SEGs, models). */
  async put(bytes: Buffer | Buffer[], journal?: BlobJournal, knownKey?: string): Promise<BlobWrite> {
    const chunks = Array.isArray(bytes) ? bytes : [bytes];
    let key = knownKey;
    if (!key) {
      const hash = createHash('sha256');
      for (const c of chunks) hash.update(c);
      key = hash.digest('hex');
    }
    const size = chunks.reduce((n, c) => n + c.length, 0);
    // Identical content already stored: nothing to write (idempotent re-send).
    if (await this.hasSize(key, size)) return { key, size, created: false };
    const { path: tmp, handle } = await this.openTemp();
    try {
      await writeAll(handle, chunks);
      if (this.fsync) await handle.datasync();
    } finally {
      await handle.close();
    }
    return this.commitTemp(tmp, key, size, journal, true);
  }

  private async hasSize(key: string, size: number): Promise<boolean> {
    return fs.stat(this.pathOf(key)).then((st) => st.size === size, () => false);
  }

  get shouldFsync(): boolean {
    return this.fsync;
  }

  async read(key: string): Promise<Buffer> {
    return fs.readFile(this.pathOf(key));
  }

  /** Reads `length` bytes at `offset` (frames and bulk data without reading the whole file). */
  async readRange(key: string, offset: number, length: number): Promise<Buffer> {
    const handle = await fs.open(this.pathOf(key), 'r');
    try {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buf, 0, length, offset);
      return bytesRead === length ? buf : buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  stream(key: string): ReadStream {
    return createReadStream(this.pathOf(key), { highWaterMark: 256 * 1024 });
  }

  async exists(key: string): Promise<boolean> {
    return fs.stat(this.pathOf(key)).then(() => true, () => false);
  }

  async remove(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  /** Every stored key (fsck). */
  async *keys(): AsyncGenerator<string> {
    for (const a of await readdirSafe(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(a)) continue;
      for (const b of await readdirSafe(path.join(this.root, a))) {
        for (const name of await readdirSafe(path.join(this.root, a, b))) if (KEY.test(name)) yield name;
      }
    }
  }

  async hashOf(key: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of this.stream(key)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  journal(): BlobJournal {
    return new BlobJournal(path.join(this.journalDir, `${randomUUID()}.keys`));
  }

  /**
   * Start-up recovery after a crash: removes temp files, and for each journal left behind,
   * deletes the blobs that `isIndexed` does not know. Returns how many blobs were removed.
   */
  async recover(isIndexed: (keys: string[]) => Promise<Set<string>>): Promise<{ tempFiles: number; orphans: number }> {
    let tempFiles = 0;
    for (const name of await readdirSafe(this.tmpDir)) {
      await fs.rm(path.join(this.tmpDir, name), { force: true });
      tempFiles++;
    }
    let orphans = 0;
    for (const name of await readdirSafe(this.journalDir)) {
      const file = path.join(this.journalDir, name);
      const keys = (await fs.readFile(file, 'utf8')).split('\n').filter((k) => KEY.test(k));
      const known = await isIndexed(keys);
      for (const key of keys) {
        if (!known.has(key)) {
          await this.remove(key);
          orphans++;
        }
      }
      await fs.rm(file, { force: true });
    }
    return { tempFiles, orphans };
  }
}

/** Keys renamed into place by one writer and not yet known to be indexed. */
export class BlobJournal {
  private handle: Promise<fs.FileHandle> | undefined;
  /** `owner` journals remove their file on close; views made for one write do not. */
  constructor(readonly file: string, private readonly owner = true) {}

  async add(key: string): Promise<void> {
    this.handle ??= fs.open(this.file, 'a');
    // Written before the rename; a SIGKILL keeps it (page cache), which is the case we recover.
    await (await this.handle).write(`${key}\n`);
  }

  /** The index now holds (or has been compensated for) every key: forget them. */
  async close(): Promise<void> {
    if (this.handle) {
      await (await this.handle).close();
      this.handle = undefined;
    }
    if (this.owner) await fs.rm(this.file, { force: true });
  }
}

/** Writes every byte of `chunks`; writev, like write(2), may write less than asked. */
export async function writeAll(handle: fs.FileHandle, chunks: Buffer[]): Promise<void> {
  let rest = chunks;
  while (rest.length) {
    const { bytesWritten } = await handle.writev(rest);
    rest = dropBytes(rest, bytesWritten);
  }
}

function dropBytes(chunks: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = n;
  for (const c of chunks) {
    if (skip >= c.length) skip -= c.length;
    else {
      out.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
  }
  return out;
}

async function readdirSafe(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
