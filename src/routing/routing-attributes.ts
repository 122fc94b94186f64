import { orientationOf } from '../dicom/geometry.js';
import { planeOf, SERIES_PLANES, type PlaneOfSeries, type SeriesPlane } from '../dicom/plane.js';

/**
 * The attributes routing rules can test (docs/routing.md). Names are DICOM keywords (PS3.6), plus
 * two the node derives: `Sender`, the name of the token that stored the series, and `Plane`, the
 * acquisition plane from Image Orientation (Patient). Kept free of zod so the console can list
 * them without bundling the rule schema.
 */
export const ROUTING_ATTRIBUTES = [
  'Modality',
  'BodyPartExamined',
  'SeriesDescription',
  'ProtocolName',
  'SOPClassUID',
  'StationName',
  'ImageType',
  'Rows',
  'Columns',
  'PixelSpacing',
  'Manufacturer',
  'Sender',
  'Plane',
] as const;
export type RoutingAttribute = (typeof ROUTING_ATTRIBUTES)[number];

/** The values `Plane` takes (lower case; conditions compare ignoring case by default). */
export const PLANE_VALUES: readonly SeriesPlane[] = SERIES_PLANES;

/**
 * The plane of Image Orientation (Patient) (0020,0037): the patient axis (LPS, PS3.3 C.7.6.2.1.1)
 * nearest to the slice normal row × column, `oblique` when the normal is more than 15° from every
 * axis (plane.ts). Undefined when the value is absent or is not two orthogonal unit vectors within
 * the tolerance series assembly uses (geometry.ts), i.e. exactly when inference could not place
 * the slices either.
 */
export function planeOfIop(iop: readonly number[] | undefined | null): PlaneOfSeries | undefined {
  if (!iop || iop.length === 0) return undefined;
  try {
    const o = orientationOf(iop, 'Image Orientation (Patient)', 1e-4);
    return planeOf(o.rowDirection, o.columnDirection);
  } catch {
    return undefined;
  }
}

/**
 * The `Plane` routing attribute. Null without a usable orientation, so a condition on Plane does
 * not match such a series (only `present: false` does).
 */
export function planeAttribute(iop: readonly number[] | undefined | null): SeriesPlane | null {
  return planeOfIop(iop)?.plane ?? null;
}
