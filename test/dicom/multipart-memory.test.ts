// Memory and backpressure of the multipart reader. In a file of its own, so that ava runs it in a
// separate process and other tests do not disturb the RSS figures.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import test from 'ava';
import { readMultipart } from '../../src/dicom/multipart.js';
import { latin1 } from './multipart-helpers.js';

const B = 'dafne-memory-test';
const CHUNK = 64 * 1024;

/** A multipart body generated lazily: `partSizes` parts of fresh 64 KiB chunks, never held whole. */
async function* generated(partSizes: number[], onPull?: (bytes: number) => void): AsyncGenerator<Buffer> {
  for (const [i, size] of partSizes.entries()) {
    const head = latin1(`${i === 0 ? '' : '\r\n'}--${B}\r\nContent-Type: application/dicom\r\n\r\n`);
    onPull?.(head.length);
    yield head;
    for (let left = size; left > 0; left -= CHUNK) {
      // A new buffer each time, so bytes the parser kept by mistake would show up in RSS.
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, left)).fill(i + 1);
      onPull?.(chunk.length);
      yield chunk;
    }
  }
  const close = latin1(`\r\n--${B}--`);
  onPull?.(close.length);
  yield close;
}

// Garbage 64 KiB chunks are only collected when V8 decides to (it tolerates tens of MB of dead
// external memory), so RSS measures GC lag as much as retention. A full collection every 50 MB
// keeps that lag small and stable; what the parser itself keeps alive is still counted.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

test.serial('a 300 MB body streams through with bounded memory', async (t) => {
  const sizes = [100e6, 120e6, 80e6 + 12345];
  const before = process.memoryUsage().rss;
  let peak = before;
  const counted: number[] = [];
  let chunksSeen = 0;
  for await (const part of readMultipart(generated(sizes), B)) {
    t.is(part.headers['content-type'], 'application/dicom');
    const fill = counted.length + 1;
    let bytes = 0;
    for await (const piece of part.body) {
      bytes += piece.length;
      if (piece[0] !== fill || piece[piece.length - 1] !== fill) t.fail('bytes from the wrong part');
      if (++chunksSeen % 64 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      if (chunksSeen % 800 === 0) collect();
    }
    counted.push(bytes);
  }
  t.deepEqual(counted, sizes);
  const growth = (peak - before) / 1e6;
  t.log(`RSS growth ${growth.toFixed(1)} MB while streaming ${(sizes.reduce((a, b) => a + b) / 1e6).toFixed(0)} MB`);
  t.true(growth < 100, `RSS grew by ${growth.toFixed(1)} MB`);
});

test.serial('input is pulled only as fast as the consumer reads (backpressure)', async (t) => {
  let pulled = 0;
  let consumed = 0;
  let maxAhead = 0;
  const input = generated([4 * 1024 * 1024, 2 * 1024 * 1024], (n) => {
    pulled += n;
  });
  for await (const part of readMultipart(input, B)) {
    for await (const piece of part.body) {
      consumed += piece.length;
      maxAhead = Math.max(maxAhead, pulled - consumed);
      // A slow consumer (a disk writer): the parser must wait for it, not read ahead.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  t.is(consumed, 6 * 1024 * 1024);
  // Ahead by at most one input chunk plus the delimiter and header bytes around it.
  t.true(maxAhead <= CHUNK + 200, `read ${maxAhead} bytes ahead of the consumer`);
});
