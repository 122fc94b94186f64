import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { FailureReason } from '../dicom/status.js';
import type { BlobStore } from './blob-store.js';
import { InstanceRejected } from './instance-record.js';

/** One received object: either in memory or spilled to a temp file of the blob store. */
export interface ReceivedPart {
  sha256: string;
  size: number;
  /** The whole object when it fit in memory, otherwise its first `headBytes`. */
  head: Buffer;
  whole: boolean;
  tempPath?: string;
  /** The last 8 bytes: enough to check an encapsulated Pixel Data's closing delimiter. */
  tail: Buffer;
}

export interface ReceiveOptions {
  maxBytes: number;
  /** Objects up to this size stay in memory and are written with one call. */
  memoryLimit: number;
}

/**
 * Reads one multipart body into the blob store's temp area while hashing it, never holding more
 * than `memoryLimit` bytes of it. Objects over `maxBytes` are refused (Out of Resources); the rest
 * of their body is left for the multipart reader to drain.
 */
export async function receivePart(body: AsyncIterable<Buffer>, store: BlobStore, opts: ReceiveOptions): Promise<ReceivedPart> {
  const hash = createHash('sha256');
  let chunks: Buffer[] = [];
  let size = 0;
  let file: { path: string; handle: FileHandle } | undefined;
  let head: Buffer | undefined;
  let tail: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > opts.maxBytes) {
        throw new InstanceRejected(`the object exceeds the configured maximum instance size of ${opts.maxBytes} bytes`, FailureReason.outOfResources);
      }
      hash.update(chunk);
      tail = chunk.length >= 8 ? chunk.subarray(chunk.length - 8) : Buffer.concat([tail, chunk]).subarray(-8);
      if (!file) {
        // The multipart reader may reuse its buffers: keep our own copy of what we hold.
        chunks.push(Buffer.from(chunk));
        if (size > opts.memoryLimit) {
          file = await store.openTemp();
          head = Buffer.concat(chunks);
          await file.handle.write(head);
          chunks = [];
        }
      } else {
        await file.handle.write(chunk);
      }
    }
    if (!file) {
      const whole = Buffer.concat(chunks, size);
      return { sha256: hash.digest('hex'), size, head: whole, whole: true, tail: Buffer.from(tail) };
    }
    if (store.shouldFsync) await file.handle.datasync();
    await file.handle.close();
    return { sha256: hash.digest('hex'), size, head: head!, whole: false, tempPath: file.path, tail: Buffer.from(tail) };
  } catch (err) {
    if (file) {
      await file.handle.close().catch(() => undefined);
      await store.discardTemp(file.path);
    }
    throw err;
  }
}
