import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, fdatasyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Writes one blob per message, synchronously, off the main thread: hash, temp file, write,
 * fdatasync, journal line, atomic rename. One message instead of seven thread-pool round trips
 * per blob is what lets ingest keep up with the socket (see docs/benchmarks.md). The bytes sit
 * in a slot of shared memory that the main thread filled, so nothing is allocated per blob.
 */
export interface WorkerSetup {
  root: string;
  tmpDir: string;
  fsync: boolean;
  slots: SharedArrayBuffer[];
}

export interface WriteRequest {
  id: number;
  slot: number;
  length: number;
  journal?: string;
}

export type WriteReply = { id: number; key: string; size: number; created: boolean } | { id: number; error: string };

const setup = workerData as WorkerSetup;
const views = setup.slots.map((s) => new Uint8Array(s));
const dirs = new Set<string>();

function write(m: WriteRequest): WriteReply {
  const bytes = views[m.slot]!.subarray(0, m.length);
  const key = createHash('sha256').update(bytes).digest('hex');
  const final = path.join(setup.root, key.slice(0, 2), key.slice(2, 4), key);
  try {
    if (statSync(final).size === m.length) return { id: m.id, key, size: m.length, created: false };
  } catch {
    // not stored yet
  }
  const tmp = path.join(setup.tmpDir, randomUUID());
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx');
    for (let off = 0; off < m.length; ) off += writeSync(fd, bytes, off);
    if (setup.fsync) fdatasyncSync(fd);
    closeSync(fd);
    fd = -1;
    const dir = path.dirname(final);
    if (!dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    // Journal before rename: a crash after the rename leaves a key that start-up can check.
    if (m.journal) appendFileSync(m.journal, `${key}\n`);
    renameSync(tmp, final);
    return { id: m.id, key, size: m.length, created: true };
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    return { id: m.id, error: (err as Error).message };
  }
}

parentPort!.on('message', (m: WriteRequest) => parentPort!.postMessage(write(m)));
