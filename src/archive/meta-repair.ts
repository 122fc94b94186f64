import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ScannedHeader } from '../dicom/header-scan.js';
import { TAIL_BYTES } from '../dicom/pixel-data-end.js';
import { rewriteMeta } from '../dicom/meta-rewrite.js';
import { isValidUid } from '../dicom/uids.js';
import { writeAll, type BlobStore } from './blob-store.js';
import type { Staged } from './blob-writer-pool.js';
import type { ReceivedPart } from './part-receiver.js';

const SOP_CLASS = 0x00080016;
const SOP_INSTANCE = 0x00080018;

/**
 * The data set's SOP Class / Instance UIDs when the File Meta Information names others
 * (PS3.10 §7.1: (0002,0002) / (0002,0003) shall equal (0008,0016) / (0008,0018)); undefined when
 * they agree, or when the data set's own UIDs are missing or invalid (those objects are refused).
 */
export function metaDisagreement(h: ScannedHeader): { sopClassUid: string; sopInstanceUid: string } | undefined {
  const sopClassUid = h.values.get(SOP_CLASS);
  const sopInstanceUid = h.values.get(SOP_INSTANCE);
  if (!sopClassUid || !sopInstanceUid || !isValidUid(sopClassUid) || !isValidUid(sopInstanceUid)) return undefined;
  const classOk = h.mediaStorageSopClassUid === undefined || h.mediaStorageSopClassUid === sopClassUid;
  const instanceOk = h.mediaStorageSopInstanceUid === undefined || h.mediaStorageSopInstanceUid === sopInstanceUid;
  return classOk && instanceOk ? undefined : { sopClassUid, sopInstanceUid };
}

/**
 * Replaces a received object's meta group by one built from its data set. What is stored is then a
 * consistent Part 10 file: the data set bytes are kept exactly, only group 0002 changes.
 * In memory: the staged bytes are re-staged. Spilled: a new temp file is written and hashed, the
 * old one removed. Returns the new staging (or undefined for a spilled part, which is updated in place).
 */
export async function repairMeta(part: ReceivedPart, staged: Staged | undefined, store: BlobStore, uids: { sopClassUid: string; sopInstanceUid: string }): Promise<Staged | undefined> {
  const { prefix, datasetOffset } = rewriteMeta(part.head, uids.sopClassUid, uids.sopInstanceUid);
  if (staged) {
    // Copy out before releasing the slot: the view is not ours after release().
    const bytes = Buffer.concat([prefix, staged.bytes.subarray(datasetOffset)]);
    staged.release();
    part.size = bytes.length;
    part.chunks = [bytes];
    const again = await store.stage([bytes], bytes.length);
    part.head = again.bytes;
    part.tail = bytes.subarray(bytes.length - Math.min(TAIL_BYTES, bytes.length));
    return again;
  }
  const oldPath = part.tempPath!;
  const hash = createHash('sha256');
  const file = await store.openTemp();
  let size = prefix.length;
  try {
    hash.update(prefix);
    await writeAll(file.handle, [prefix]);
    for await (const chunk of createReadStream(oldPath, { start: datasetOffset, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      await writeAll(file.handle, [chunk]);
    }
    if (store.shouldFsync) await file.handle.datasync();
    await file.handle.close();
  } catch (err) {
    await file.handle.close().catch(() => undefined);
    await store.discardTemp(file.path);
    throw err;
  }
  await store.discardTemp(oldPath);
  part.head = Buffer.concat([prefix, part.head.subarray(datasetOffset)]);
  part.tempPath = file.path;
  part.sha256 = hash.digest('hex');
  part.size = size;
  return undefined;
}
