import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { BlobWriterPool } from '../../src/archive/blob-writer-pool.js';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the writer threads start with the first object, end when idle, and start again for the next', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'blob-writer-pool-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, '.tmp'));
  const pool = new BlobWriterPool(2, 3, 1024, { root, tmpDir: path.join(root, '.tmp'), fsync: false }, 300);
  t.teardown(() => pool.close());
  t.false(pool.running);
  const write = async (text: string): Promise<string> => {
    const staged = await pool.stage([Buffer.from(text)], Buffer.byteLength(text));
    const w = await staged.commit();
    t.is(w.key, createHash('sha256').update(text).digest('hex'));
    t.is(readFileSync(path.join(root, w.key.slice(0, 2), w.key.slice(2, 4), w.key), 'utf8'), text);
    return w.key;
  };
  // More objects at once than slots: the fourth waits for a slot, all are written.
  await Promise.all(['a', 'b', 'c', 'd'].map(write));
  t.true(pool.running);
  await until(() => !pool.running);
  await write('after the idle release');
  t.true(pool.running);
  // A staged object holds the threads: no release while it is in flight.
  const staged = await pool.stage([Buffer.from('held')], 4);
  await new Promise((r) => setTimeout(r, 600));
  t.true(pool.running);
  staged.release();
  await until(() => !pool.running);
});
