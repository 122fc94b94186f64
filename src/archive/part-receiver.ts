import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { FailureReason } from '../dicom/status.js';
import { writeAll, type BlobStore } from './blob-store.js';
import { InstanceRejected } from './instance-record.js';
import { TAIL_BYTES } from '../dicom/pixel-data-end.js';

/** One received object: either in memory (as its chunks) or spilled to a blob-store temp file. */
export interface ReceivedPart {
  /** SHA-256 of the bytes; computed here only for spilled objects (the blob writer hashes the rest). */
  sha256?: string;
  size: number;
  /** The object's chunks when it fit in memory (views of the multipart reader's input). */
  chunks?: Buffer[];
  /** At least the first `headBytes` of the object, contiguous, for the header scan. */
  head: Buffer;
  whole: boolean;
  tempPath?: string;
  /** The last TAIL_BYTES bytes: enough to check how an encapsulated Pixel Data ends (pixel-data-end.ts). */
  tail: Buffer;
}

export interface ReceiveOptions {
  maxBytes: number;
  /** Objects up to this size stay in memory and are written with one call. */
  memoryLimit: number;
  /** How much of the start to make contiguous for the header scan. */
  headBytes: number;
}

/**
 * Reads one multipart body, never holding more than `memoryLimit` bytes of it; larger objects
 * stream into a temp file of the blob store while being hashed. A small object's chunks are kept
 * as they come; the blob store stages them (one copy) for a writer thread.
 * Objects over `maxBytes` are refused (Out of Resources); the rest of their body is left for the
 * multipart reader to drain.
 */
export async function receivePart(body: AsyncIterable<Buffer>, store: BlobStore, opts: ReceiveOptions): Promise<ReceivedPart> {
  let hash: ReturnType<typeof createHash> | undefined;
  let chunks: Buffer[] = [];
  let size = 0;
  let file: { path: string; handle: FileHandle } | undefined;
  let head: Buffer | undefined;
  try {
    for await (const chunk of body) {
      if (chunk.length === 0) continue;
      size += chunk.length;
      if (size > opts.maxBytes) {
        throw new InstanceRejected(`the object exceeds the configured maximum instance size of ${opts.maxBytes} bytes`, FailureReason.outOfResources);
      }
      if (!file) {
        chunks.push(chunk);
        if (size > opts.memoryLimit) {
          hash = createHash('sha256');
          for (const c of chunks) hash.update(c);
          file = await store.openTemp();
          head = contiguous(chunks, opts.headBytes);
          await writeAll(file.handle, chunks);
          chunks = [chunks[chunks.length - 1]!];
        }
      } else {
        hash!.update(chunk);
        await writeAll(file.handle, [chunk]);
        // Keep the previous chunk too while the last one is shorter than the tail we need.
        chunks = chunk.length >= TAIL_BYTES ? [chunk] : [chunks[chunks.length - 1]!, chunk];
      }
    }
    const tail = lastBytes(chunks, TAIL_BYTES);
    // `head` is set by the caller once the chunks are staged contiguously (no copy here).
    if (!file) return { size, chunks, head: chunks[0] ?? Buffer.alloc(0), whole: true, tail };
    if (store.shouldFsync) await file.handle.datasync();
    await file.handle.close();
    return { sha256: hash!.digest('hex'), size, head: head!, whole: false, tempPath: file.path, tail };
  } catch (err) {
    if (file) {
      await file.handle.close().catch(() => undefined);
      await store.discardTemp(file.path);
    }
    throw err;
  }
}

/** The first `n` bytes (or all) as one buffer, copying only when they span several chunks. */
export function contiguous(chunks: Buffer[], n: number): Buffer {
  if (chunks.length === 0) return Buffer.alloc(0);
  if (chunks[0]!.length >= n || chunks.length === 1) return chunks[0]!;
  const out: Buffer[] = [];
  let have = 0;
  for (const c of chunks) {
    out.push(c);
    have += c.length;
    if (have >= n) break;
  }
  return Buffer.concat(out, have);
}

function lastBytes(chunks: Buffer[], n: number): Buffer {
  const last = chunks[chunks.length - 1];
  if (last && last.length >= n) return last.subarray(last.length - n);
  return Buffer.concat(chunks).subarray(-n);
}
