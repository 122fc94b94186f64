/**
 * The STOW-RS request body of the STOW benchmarks (bench/stow.ts, bench/stow-big-probe.ts): one
 * multipart/related boundary (PS3.18 8.6.1.2) and a body of about `mb` megabytes of synthetic MR
 * instances, generated as it is sent so the client holds only one instance at a time.
 */
import { syntheticSeries } from '../src/dicom/synthetic-mr.js';

export const BOUNDARY = 'dafne-bench-boundary-7f3a9c';

/** A lazily generated body of about `mb` megabytes, so the client holds only one instance. */
export async function* bigBody(mb: number): AsyncGenerator<Uint8Array> {
  let sent = 0;
  while (sent < mb * 1e6) {
    for (const inst of syntheticSeries({ count: 500 }).instances) {
      const head = Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`);
      yield head;
      yield inst.bytes;
      sent += head.length + inst.bytes.length;
      if (sent >= mb * 1e6) break;
    }
  }
  yield Buffer.from(`\r\n--${BOUNDARY}--`);
}
