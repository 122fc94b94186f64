/**
 * DICOM JSON Model (PS3.18 §F.2): attributes keyed by 8 hex digit tags, each `{ vr, Value }`.
 * Small builders for the responses the node writes itself (STOW-RS, QIDO-RS).
 */
export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

export type DicomJson = Record<string, DicomJsonAttribute>;

/** Sets a text/number attribute; null or undefined values produce an empty attribute (type 2). */
export function put(ds: DicomJson, tag: string, vr: string, value: string | number | null | undefined | (string | number)[]): DicomJson {
  if (value === null || value === undefined || value === '') ds[tag] = { vr };
  else if (vr === 'PN') {
    const values = Array.isArray(value) ? value : [value];
    ds[tag] = { vr, Value: values.map((v) => ({ Alphabetic: String(v) })) };
  } else ds[tag] = { vr, Value: Array.isArray(value) ? value : [value] };
  return ds;
}

export function sequence(ds: DicomJson, tag: string, items: DicomJson[]): DicomJson {
  ds[tag] = { vr: 'SQ', Value: items };
  return ds;
}

/** Sorts keys so the JSON is in ascending tag order, as PS3.18 §F.2.1.1 recommends. */
export function sorted(ds: DicomJson): DicomJson {
  const out: DicomJson = {};
  for (const key of Object.keys(ds).sort()) out[key] = ds[key]!;
  return out;
}
