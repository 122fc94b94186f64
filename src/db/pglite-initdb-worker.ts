import { PGlite } from '@electric-sql/pglite';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Creates a new embedded database (initdb) in a worker thread. initdb grows PGlite's WebAssembly
 * heap to ≈ 700 MB and a heap never shrinks; ending the worker returns all of it, so the node's
 * own PGlite opens a ready directory with a small heap.
 */
const { dir, startParams } = workerData as { dir: string; startParams: string[] };
const db = await PGlite.create(dir, { startParams });
await db.close();
parentPort!.postMessage('done');
