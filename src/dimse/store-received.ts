import type { Archive } from '../archive/archive.js';
import { IngestSession, type StoreResult } from '../archive/ingest.js';
import { FailureReason } from '../dicom/status.js';

export interface StoreReceivedDeps {
  archive: Archive;
  maxInstanceBytes: number;
  /** The same hook STOW-RS calls: routing notes the sender and looks at series stability. */
  onStored?: (results: StoreResult[], sender: string) => void;
}

/** The C-STORE response of one instance (PS3.4 B.2.3, PS3.7 C.4.1): Status (0000,0900), Error Comment (0000,0902). */
export interface StoreStatus {
  status: number;
  errorComment?: string;
  result: StoreResult;
}

/**
 * Stores one data set received by C-STORE, already wrapped as a Part 10 file, through the archive's
 * ingest (the same scan, checks, blob-then-index write and duplicate policy as STOW-RS), then tells
 * routing. One instance per session: its index row is committed before the SCU hears Success.
 * The failure reasons are the Storage Service Class statuses STOW-RS reports too, so they are the
 * C-STORE status as they are (A700, A900, C000, 0110, 0111, 0122).
 */
export async function storeReceived(deps: StoreReceivedDeps, part10: Buffer, sender: string): Promise<StoreStatus> {
  const disk = await deps.archive.disk();
  if (disk.full) {
    const result: StoreResult = { status: 'failed', reason: FailureReason.outOfResources, message: 'storage above its free-space watermark' };
    return { status: FailureReason.outOfResources, errorComment: result.message, result };
  }
  const session = new IngestSession(deps.archive, { maxInstanceBytes: deps.maxInstanceBytes, concurrency: 1, batchSize: 1 });
  await session.add(once(part10));
  const [result] = await session.finish();
  deps.onStored?.([result!], sender);
  if (result!.status === 'stored') return { status: 0x0000, result: result! };
  // Error Comment is LO: at most 64 characters (PS3.7 Annex C, PS3.5 Table 6.2-1).
  return { status: result!.reason, errorComment: result!.message.slice(0, 64), result: result! };
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}
