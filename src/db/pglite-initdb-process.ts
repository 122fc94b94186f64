import { PGlite } from '@electric-sql/pglite';

/**
 * Creates a new embedded database (initdb) in a child process: `node pglite-initdb-process.js DIR
 * START_PARAMS_JSON`. initdb grows PGlite's WebAssembly heap to ≈ 700 MB, and a heap never shrinks.
 * A worker thread returned the heap when it ended but not the ≈ 120 MB that compiling and running
 * PGlite left in that thread's malloc arenas (glibc keeps freed arena memory); a process that exits
 * returns everything, so the node's own PGlite opens a ready directory and stays small.
 */
const [dir, params] = process.argv.slice(2);
if (!dir || !params) {
  process.stderr.write('usage: pglite-initdb-process.js DIR START_PARAMS_JSON\n');
  process.exit(64);
}
const db = await PGlite.create(dir, { startParams: JSON.parse(params) as string[] });
await db.close();
