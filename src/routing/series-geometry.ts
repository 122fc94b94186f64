import type { Archive } from '../archive/archive.js';
import type { DicomJson } from '../dicom/dicom-json.js';
import { datasetToJson } from '../dicom/dicom-json-writer.js';
import { openPart10 } from '../dicom/element-reader.js';
import { cross, dot, norm, normalize, scale, sub } from '../dicom/geometry.js';
import type { PlaneOfSeries } from '../dicom/plane.js';
import { TS } from '../dicom/uids.js';
import type { Vec3, VolumeGeometry } from '../dicom/volume.js';
import { planeOfIop } from './routing-attributes.js';

/**
 * The slice grid of a stored series, estimated from two headers and the index (issue 14): what
 * the dry-run needs to say what a model will do with the series (plane.ts `planFor`) without
 * reading pixel data or every header. The inference job itself builds and checks the whole stack
 * (series-volume.ts); this is the cheap preview of it.
 */

/** Where one stored instance's header is: blob key, Pixel Data value offset, transfer syntax. */
export interface HeaderRef {
  sha256: string;
  pixelDataOffset: number | null;
  transferSyntaxUid: string;
}

/** The image plane attributes of one instance: one position per frame, in frame order. */
export interface InstancePlanes {
  iop?: number[];
  /** Pixel Spacing (0028,0030): [row spacing, column spacing] mm. */
  pixelSpacing?: number[];
  positions: Vec3[];
}

export type SeriesGeometry = Pick<VolumeGeometry, 'rowDirection' | 'columnDirection' | 'normal' | 'spacing' | 'slices'>;

/**
 * What two headers tell: the plane whenever the orientation is usable, the grid when positions
 * and pixel spacing are too; `reason` says what is missing otherwise.
 */
export interface GeometryEstimate {
  plane: PlaneOfSeries | null;
  geometry: SeriesGeometry | null;
  reason: string | null;
}

// DICOM JSON keys (PS3.6) of the Image Plane module (PS3.3 C.7.6.2) and of the functional group
// macros that carry it in Enhanced MR and other multi-frame images (Pixel Measures, Plane Position
// (Patient), Plane Orientation (Patient): PS3.3 C.7.6.16.2.1, C.7.6.16.2.3, C.7.6.16.2.4).
const T = {
  ImagePositionPatient: '00200032',
  ImageOrientationPatient: '00200037',
  PixelSpacing: '00280030',
  PlanePositionSequence: '00209113',
  PlaneOrientationSequence: '00209116',
  PixelMeasuresSequence: '00289110',
  SharedFunctionalGroupsSequence: '52009229',
  PerFrameFunctionalGroupsSequence: '52009230',
} as const;

const items = (ds: DicomJson | undefined, tag: string): DicomJson[] => (ds?.[tag]?.Value as DicomJson[] | undefined) ?? [];
const nums = (ds: DicomJson | undefined, tag: string): number[] | undefined => {
  const v = ds?.[tag]?.Value;
  return v && v.length > 0 && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
};

/**
 * Reads one instance's data set up to Pixel Data (the index keeps where its value starts, as
 * WADO-RS metadata does) and returns its orientation, pixel spacing and frame positions: top-level
 * for single-frame images, else from the Per-frame or Shared Functional Groups (PS3.3 C.7.6.16.1).
 */
export async function readInstancePlanes(archive: Archive, ref: HeaderRef): Promise<InstancePlanes> {
  const whole = ref.pixelDataOffset === null || ref.transferSyntaxUid === TS.deflatedLE;
  const bytes = whole ? await archive.blobs.read(ref.sha256) : await archive.blobs.readRange(ref.sha256, 0, ref.pixelDataOffset!);
  const p10 = openPart10(bytes);
  const { json } = datasetToJson(p10.data, p10.start, p10.data.length, p10.syntax, { bulkDataUri: () => '', inlineBinaryMax: 0 });
  const shared = items(json, T.SharedFunctionalGroupsSequence)[0];
  const perFrame = items(json, T.PerFrameFunctionalGroupsSequence);
  const macro = (frame: DicomJson | undefined, seq: string, tag: string): number[] | undefined =>
    nums(items(frame, seq)[0], tag) ?? nums(items(shared, seq)[0], tag) ?? nums(json, tag);
  const frames = perFrame.length > 0 ? perFrame : [undefined];
  const positions = frames.map((f) => macro(f, T.PlanePositionSequence, T.ImagePositionPatient)).filter((p): p is number[] => p?.length === 3) as Vec3[];
  return {
    iop: macro(frames[0], T.PlaneOrientationSequence, T.ImageOrientationPatient),
    pixelSpacing: macro(frames[0], T.PixelMeasuresSequence, T.PixelSpacing),
    positions: positions.length === frames.length ? positions : [],
  };
}

interface Row {
  sha256: string;
  pix: number | string | null;
  ts: string;
  frames: number | string | null;
}

/**
 * The grid of series `seriesFk` from the headers of its first and last instance (by Instance
 * Number) and the frame count of all of them: slice step = (last position − first position) /
 * (slices − 1), its direction the slice normal. That is the stack's spacing whenever the first and
 * last instance are its two ends, as scanners number them; a series whose numbering jumps around
 * looks finer here than it is, and the job's full check (series-volume.ts) still has the last word.
 */
export async function estimateSeriesGeometry(archive: Archive, seriesFk: string): Promise<GeometryEstimate> {
  const rows = (await archive.db.dataSource.query(
    `SELECT sha256, pixel_data_offset AS pix, transfer_syntax_uid AS ts, number_of_frames AS frames
       FROM instance WHERE series_fk = $1 ORDER BY instance_number NULLS LAST, sop_instance_uid`,
    [seriesFk],
  )) as Row[];
  const none = (reason: string, plane: PlaneOfSeries | null = null): GeometryEstimate => ({ plane, geometry: null, reason });
  if (rows.length === 0) return none('no instances stored');
  const ref = (r: Row): HeaderRef => ({ sha256: r.sha256, pixelDataOffset: r.pix === null ? null : Number(r.pix), transferSyntaxUid: r.ts });
  const slices = rows.reduce((n, r) => n + (r.frames === null ? 1 : Math.max(1, Number(r.frames))), 0);
  let first: InstancePlanes, last: InstancePlanes;
  try {
    first = await readInstancePlanes(archive, ref(rows[0]!));
    last = rows.length > 1 ? await readInstancePlanes(archive, ref(rows[rows.length - 1]!)) : first;
  } catch (err) {
    return none(`header unreadable: ${(err as Error).message}`);
  }
  const plane = planeOfIop(first.iop) ?? null;
  if (!plane || !first.iop) return none('no usable Image Orientation (Patient) (0020,0037): the slices cannot be placed');
  const ps = first.pixelSpacing;
  if (!ps || ps.length !== 2 || !ps.every((v) => v > 0)) return none('no usable Pixel Spacing (0028,0030)', plane);
  const p0 = first.positions[0], p1 = last.positions[last.positions.length - 1];
  if (!p0 || !p1) return none('no Image Position (Patient) (0020,0032): the slices cannot be placed', plane);
  const rowDirection = normalize(first.iop.slice(0, 3) as Vec3);
  const columnDirection = normalize(first.iop.slice(3, 6) as Vec3);
  const across = normalize(cross(rowDirection, columnDirection));
  let normal = across;
  let sliceSpacing = 0;
  if (slices > 1) {
    const d = sub(p1, p0);
    const length = norm(d);
    // The stack must step out of the image plane (a tilted stack may lean: volume.ts).
    if (!(length > 1e-3) || Math.abs(dot(d, across)) < 0.5 * length) {
      return none(`first and last slices are ${Math.round(length * 100) / 100} mm apart, not stacked along the slice normal`, plane);
    }
    normal = scale(d, (dot(d, across) < 0 ? -1 : 1) / length);
    sliceSpacing = length / (slices - 1);
  }
  // PixelSpacing is [row spacing, column spacing]; the grid's spacing is [column, row, slice] (volume.ts).
  return { plane, geometry: { rowDirection, columnDirection, normal, spacing: [ps[1]!, ps[0]!, sliceSpacing], slices }, reason: null };
}
