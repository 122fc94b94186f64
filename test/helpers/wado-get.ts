import { parseMediaType } from '../../src/dicom/media-type.js';
import { readMultipart } from '../../src/dicom/multipart.js';

/**
 * WADO-RS Retrieve Instance (PS3.18 §10.4) of one stored object, as the Part 10 bytes the node
 * holds; undefined when the node answers 404.
 */
export async function retrieveInstance(base: string, study: string, series: string, sop: string): Promise<Buffer | undefined> {
  const res = await fetch(`${base}/dicomweb/studies/${study}/series/${series}/instances/${sop}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`WADO-RS ${res.status}: ${await res.text()}`);
  const boundary = parseMediaType(res.headers.get('content-type') ?? '').params.boundary!;
  const body = Buffer.from(await res.arrayBuffer());
  const parts: Buffer[] = [];
  for await (const part of readMultipart(once(body), boundary)) {
    const chunks: Buffer[] = [];
    for await (const c of part.body) chunks.push(c);
    parts.push(Buffer.concat(chunks));
  }
  if (parts.length !== 1) throw new Error(`WADO-RS answered ${parts.length} parts for one instance`);
  return parts[0];
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}
