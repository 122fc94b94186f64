import { randomBytes } from 'node:crypto';

/** One multipart/related part for a STOW-RS request. */
export interface OutPart {
  bytes: Buffer;
  contentType?: string | null;
}

export const boundaryFor = (): string => `test-${randomBytes(8).toString('hex')}`;

/** A complete multipart/related body (PS3.18 §8.6.1.1); `contentType: null` omits the header. */
export function multipartBody(parts: (Buffer | OutPart)[], boundary: string): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const part = Buffer.isBuffer(p) ? { bytes: p } : p;
    const ct = part.contentType === undefined ? 'application/dicom' : part.contentType;
    out.push(Buffer.from(`\r\n--${boundary}\r\n${ct === null ? '' : `Content-Type: ${ct}\r\n`}\r\n`));
    out.push(part.bytes);
  }
  out.push(Buffer.from(`\r\n--${boundary}--`));
  return Buffer.concat(out);
}

export interface StowAnswer {
  status: number;
  json: Record<string, { vr: string; Value?: Record<string, { Value?: unknown[] }>[] }>;
  referenced: string[];
  failed: { uid?: string; reason: number; text?: string }[];
}

/** POSTs parts to `${base}/dicomweb/studies[/study]` and decodes the DICOM JSON answer. */
export async function stowParts(base: string, parts: (Buffer | OutPart)[], opts: { study?: string; headers?: Record<string, string> } = {}): Promise<StowAnswer> {
  const boundary = boundaryFor();
  const res = await fetch(`${base}/dicomweb/studies${opts.study ? `/${opts.study}` : ''}`, {
    method: 'POST',
    headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, ...opts.headers },
    body: multipartBody(parts, boundary),
  });
  return decode(res);
}

export async function decode(res: Response): Promise<StowAnswer> {
  const text = await res.text();
  const json = text ? (JSON.parse(text) as StowAnswer['json']) : {};
  const items = (tag: string) => json[tag]?.Value ?? [];
  return {
    status: res.status,
    json,
    referenced: items('00081199').map((i) => String(i['00081155']?.Value?.[0])),
    failed: items('00081198').map((i) => ({
      uid: i['00081155']?.Value?.[0] as string | undefined,
      reason: Number(i['00081197']?.Value?.[0]),
      text: i['00091001']?.Value?.[0] as string | undefined,
    })),
  };
}
