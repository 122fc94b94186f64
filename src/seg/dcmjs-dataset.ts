/**
 * Typed access to a data set as dcmjs parses it (DICOM JSON-like, PS3.18 F.2): keys are 8 uppercase
 * hex digits, values `{ vr, Value }`; sequences hold item objects, PN values `{ Alphabetic }`,
 * bulk values (OB/OW) ArrayBuffers. dcmjs ships no type declarations, so it is loaded by require().
 */
import { createRequire } from 'node:module';

export interface DcmElement {
  vr: string;
  Value?: unknown[];
}
export type DcmDataset = Record<string, DcmElement | undefined>;

interface DcmjsModule {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): { meta: DcmDataset; dict: DcmDataset } };
  };
}

export const dcmjs = createRequire(import.meta.url)('dcmjs') as DcmjsModule;

export const key = (tag: number): string => (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');

function values(ds: DcmDataset | undefined, tag: number): unknown[] | undefined {
  const v = ds?.[key(tag)]?.Value;
  return v && v.length > 0 ? v : undefined;
}

/** First value as text ('' and absent are undefined); PN gives its alphabetic group. */
export function text(ds: DcmDataset | undefined, tag: number): string | undefined {
  const v = values(ds, tag)?.[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') {
    const alpha = (v as { Alphabetic?: unknown }).Alphabetic;
    return typeof alpha === 'string' && alpha !== '' ? alpha : undefined;
  }
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

export function texts(ds: DcmDataset | undefined, tag: number): string[] {
  return (values(ds, tag) ?? []).map((v) => String(v).trim());
}

/** Numeric values (US, UL, DS and IS alike); NaN entries when a string does not parse. */
export function nums(ds: DcmDataset | undefined, tag: number): number[] | undefined {
  const v = values(ds, tag);
  return v?.map((x) => (typeof x === 'number' ? x : Number(String(x).trim())));
}

export function num(ds: DcmDataset | undefined, tag: number): number | undefined {
  const v = nums(ds, tag)?.[0];
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

export function items(ds: DcmDataset | undefined, tag: number): DcmDataset[] {
  return (values(ds, tag) ?? []).filter((x): x is DcmDataset => typeof x === 'object' && x !== null);
}

export const firstItem = (ds: DcmDataset | undefined, tag: number): DcmDataset | undefined => items(ds, tag)[0];

/** A bulk value (e.g. Pixel Data) as one byte array, joining what dcmjs split into several buffers. */
export function bulk(ds: DcmDataset | undefined, tag: number): Uint8Array | undefined {
  const parts = (values(ds, tag) ?? []).map((p) =>
    p instanceof ArrayBuffer ? new Uint8Array(p) : ArrayBuffer.isView(p) ? new Uint8Array(p.buffer, p.byteOffset, p.byteLength) : undefined,
  );
  if (parts.length === 0 || parts.some((p) => p === undefined)) return undefined;
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p!.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p!, pos);
    pos += p!.length;
  }
  return out;
}
