/**
 * Which series of a study are the fat and the water images of a Dixon acquisition. DICOM has no
 * single attribute for it: the MR Image module's Image Type (PS3.3 C.8.3.1.1.1) allows vendors to
 * add values beyond the first two, and vendors write FAT / WATER (or F / W) there, while others say
 * it only in Series Description. So: Image Type values 3.. first, then words of the Series
 * Description. Fat-fraction maps (FF, fraction) and in/opposed-phase images are not fat or water.
 * Exactly one candidate of each kind must remain, else there is no pair (the SR then has no fat
 * fraction, never a guess).
 */
export interface SeriesDescriptor {
  seriesInstanceUid: string;
  seriesDescription?: string | null;
  imageType?: readonly string[];
}

export type DixonKind = 'fat' | 'water';

const NOT_FAT_OR_WATER = /^(ff|fraction|fatfrac|fatfraction|pdff|fp|wp|in|opp|ip|op|inphase|outphase|oppphase)$/;

export function dixonKind(s: SeriesDescriptor): DixonKind | undefined {
  const extra = (s.imageType ?? []).slice(2).map((v) => v.trim().toUpperCase());
  if (extra.some((v) => v === 'FF' || v === 'FAT_FRACTION' || v === 'FATFRACTION')) return undefined;
  const byType = extra.includes('FAT') || extra.includes('F') ? 'fat' : extra.includes('WATER') || extra.includes('W') ? 'water' : undefined;
  if (byType) return byType;
  const words = (s.seriesDescription ?? '').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  if (words.some((w) => NOT_FAT_OR_WATER.test(w) || w.includes('fraction'))) return undefined;
  if (words.includes('fat') || words.includes('f')) return words.includes('water') || words.includes('w') ? undefined : 'fat';
  if (words.includes('water') || words.includes('w')) return 'water';
  return undefined;
}

/** The study's fat / water pair, or why there is none. */
export function findDixonPair(series: readonly SeriesDescriptor[]): { fat: string; water: string } | { none: string } {
  const fat = series.filter((s) => dixonKind(s) === 'fat');
  const water = series.filter((s) => dixonKind(s) === 'water');
  if (fat.length === 0 && water.length === 0) return { none: 'no fat / water series in the study' };
  if (fat.length !== 1 || water.length !== 1) return { none: `${fat.length} fat and ${water.length} water series: not one pair` };
  return { fat: fat[0]!.seriesInstanceUid, water: water[0]!.seriesInstanceUid };
}
