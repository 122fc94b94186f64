import { createHash } from 'node:crypto';
import type { Archive } from '../archive/archive.js';
import { NEED_MORE, scanPart10, tagOf } from '../dicom/header-scan.js';
import { planeAttribute } from './routing-attributes.js';
import type { SeriesAttributes } from './rule-types.js';
import { readInstancePlanes } from './series-geometry.js';

/** What routing knows about a stored series: index values, one header, and a content fingerprint. */
export interface SeriesSnapshot {
  seriesFk: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  lastInstanceAt: Date;
  /** The same, as PostgreSQL text (microseconds kept: a JS Date would round them away). */
  lastInstanceAtText: string;
  instances: { sopInstanceUid: string; sopClassUid: string; instanceNumber: number | null; sha256: string; numberOfFrames: number | null }[];
  /** SHA-256 over the sorted SHA-256s of the instances: equal content ⇔ equal fingerprint. */
  fingerprint: string;
  attributes: SeriesAttributes;
  /** Expected instance count from the header (ImagesInAcquisition), when the modality states it. */
  expectedInstances: number | null;
  /** Manufacturer Model Name of the first instance: "Dafne Node" on our own SEGs. */
  manufacturerModelName: string | null;
}

// Read from the first instance's header: attributes the index does not keep (PS3.3 C.7.6.1, C.7.6.2, C.7.5.1).
const H = {
  ImageType: tagOf(0x0008, 0x0008),
  Manufacturer: tagOf(0x0008, 0x0070),
  ManufacturerModelName: tagOf(0x0008, 0x1090),
  ImageOrientationPatient: tagOf(0x0020, 0x0037),
  ImagesInAcquisition: tagOf(0x0020, 0x1002),
  PixelSpacing: tagOf(0x0028, 0x0030),
};
const HEADER_TAGS = new Set(Object.values(H));

interface SeriesRow {
  id: string | number;
  uid: string;
  study: string;
  modality: string | null;
  body: string | null;
  descr: string | null;
  proto: string | null;
  station: string | null;
  last: Date | string;
  last_text: string;
  sender: string | null;
}

const split = (v: string | undefined): string[] => (v ? v.split('\\').map((s) => s.trim()).filter(Boolean) : []);

/** Loads the snapshot of one series by UID, or undefined when it is not stored. */
export async function loadSeriesSnapshot(archive: Archive, seriesUid: string): Promise<SeriesSnapshot | undefined> {
  const db = archive.db.dataSource;
  const [s] = (await db.query(
    `SELECT se.id, se.series_instance_uid AS uid, st.study_instance_uid AS study, se.modality, se.body_part_examined AS body,
            se.series_description AS descr, se.protocol_name AS proto, se.station_name AS station, se.last_instance_at AS last, se.last_instance_at::text AS last_text, a.sender
       FROM series se JOIN study st ON st.id = se.study_fk LEFT JOIN series_assembly a ON a.series_fk = se.id
      WHERE se.series_instance_uid = $1`,
    [seriesUid],
  )) as SeriesRow[];
  if (!s) return undefined;
  const rows = (await db.query(
    `SELECT sop_instance_uid AS sop, sop_class_uid AS cls, instance_number AS num, sha256, rows, columns, number_of_frames AS frames,
            pixel_data_offset AS pix, transfer_syntax_uid AS ts
       FROM instance WHERE series_fk = $1 ORDER BY instance_number NULLS LAST, sop_instance_uid`,
    [s.id],
  )) as { sop: string; cls: string; num: number | null; sha256: string; rows: number | null; columns: number | null; frames: number | null; pix: number | string | null; ts: string }[];
  const instances = rows.map((r) => ({ sopInstanceUid: r.sop, sopClassUid: r.cls, instanceNumber: r.num === null ? null : Number(r.num), sha256: r.sha256, numberOfFrames: r.frames === null ? null : Number(r.frames) }));
  const fingerprint = createHash('sha256').update(instances.map((i) => i.sha256).sort().join('\n')).digest('hex');
  const header = rows[0] ? await readHeader(archive, rows[0].sha256) : new Map<number, string>();
  const first = rows[0];
  // Plane (issue 14): from the first instance's Image Orientation (Patient) (0020,0037); a
  // multi-frame image (it has Number of Frames) keeps it in its functional groups (PS3.3
  // C.7.6.16.2.4), which the header scan skips, so only then is its header read as a data set.
  let iop = split(header.get(H.ImageOrientationPatient)).map(Number);
  if (iop.length === 0 && first && first.frames !== null) {
    iop = (await readInstancePlanes(archive, { sha256: first.sha256, pixelDataOffset: first.pix === null ? null : Number(first.pix), transferSyntaxUid: first.ts }).catch(() => undefined))?.iop ?? [];
  }
  const attributes: SeriesAttributes = {
    Modality: s.modality,
    BodyPartExamined: s.body,
    SeriesDescription: s.descr,
    ProtocolName: s.proto,
    StationName: s.station,
    SOPClassUID: [...new Set(rows.map((r) => r.cls))],
    ImageType: split(header.get(H.ImageType)),
    Rows: first?.rows === null || first?.rows === undefined ? null : Number(first.rows),
    Columns: first?.columns === null || first?.columns === undefined ? null : Number(first.columns),
    PixelSpacing: split(header.get(H.PixelSpacing)).map(Number).filter(Number.isFinite),
    Manufacturer: header.get(H.Manufacturer) ?? null,
    Sender: s.sender,
    Plane: planeAttribute(iop),
  };
  const expected = Number.parseInt(header.get(H.ImagesInAcquisition) ?? '', 10);
  return {
    seriesFk: String(s.id),
    seriesInstanceUid: s.uid,
    studyInstanceUid: s.study,
    lastInstanceAt: new Date(s.last),
    lastInstanceAtText: s.last_text,
    instances,
    fingerprint,
    attributes,
    expectedInstances: Number.isFinite(expected) && expected > 0 ? expected : null,
    manufacturerModelName: header.get(H.ManufacturerModelName) ?? null,
  };
}

/** The wanted header values of one stored instance (reads only its first 64 KiB when that suffices). */
async function readHeader(archive: Archive, key: string): Promise<Map<number, string>> {
  const head = await archive.blobs.readRange(key, 0, 64 * 1024).catch(() => undefined);
  let h = head ? scanPart10(head, head.length < 64 * 1024, HEADER_TAGS) : NEED_MORE;
  if (h === NEED_MORE) h = scanPart10(await archive.blobs.read(key), true, HEADER_TAGS);
  if (h === NEED_MORE) return new Map();
  return h.values;
}
