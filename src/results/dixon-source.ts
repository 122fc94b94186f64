/**
 * The fat and water images of a Dixon study, from the archive, on the grid of the segmented
 * series (issue 18 item 1). Which series they are: dixon.ts (Image Type, else Series Description).
 * The fat fraction is measured voxel by voxel, so both must be on the segmented series' grid
 * (same size, orientation and slice positions, as the images of one Dixon acquisition are);
 * otherwise there is no fat fraction and the note says why. Never resampled: a fat fraction of
 * interpolated voxels at muscle borders would mix fat from the neighbouring tissue.
 */
import type { Archive } from '../archive/archive.js';
import { buildVolume } from '../dicom/series-volume.js';
import type { Vec3, VolumeGeometry } from '../dicom/volume.js';
import { loadSeriesSnapshot } from '../routing/series-snapshot.js';
import { findDixonPair, type SeriesDescriptor } from '../sr/dixon.js';
import type { DixonInput } from './build-derived.js';

const NOT_IMAGES = new Set(['SEG', 'SR', 'KO', 'PR', 'RTSTRUCT', 'REG', 'DOC', 'OT']);

export async function dixonCandidates(archive: Archive, studyInstanceUid: string): Promise<SeriesDescriptor[]> {
  const rows = (await archive.db.dataSource.query(
    'SELECT s.series_instance_uid AS uid, s.modality FROM series s JOIN study st ON st.id = s.study_fk WHERE st.study_instance_uid = $1',
    [studyInstanceUid],
  )) as { uid: string; modality: string | null }[];
  const out: SeriesDescriptor[] = [];
  for (const r of rows) {
    if (r.modality && NOT_IMAGES.has(r.modality.toUpperCase())) continue;
    const snap = await loadSeriesSnapshot(archive, r.uid);
    if (!snap || snap.manufacturerModelName === 'Dafne Node') continue;
    const a = snap.attributes;
    const imageType = Array.isArray(a.ImageType) ? a.ImageType.map(String) : typeof a.ImageType === 'string' ? a.ImageType.split('\\') : [];
    out.push({ seriesInstanceUid: r.uid, seriesDescription: a.SeriesDescription === null || a.SeriesDescription === undefined ? null : String(a.SeriesDescription), imageType });
  }
  return out;
}

const close = (a: Vec3, b: Vec3, tol: number) => Math.abs(a[0] - b[0]) <= tol && Math.abs(a[1] - b[1]) <= tol && Math.abs(a[2] - b[2]) <= tol;

/** Same voxels: size, directions and every slice position (0.01 mm) in volume order. */
export function sameGrid(a: VolumeGeometry, b: VolumeGeometry): boolean {
  if (a.columns !== b.columns || a.rows !== b.rows || a.slices !== b.slices) return false;
  if (!close(a.rowDirection, b.rowDirection, 1e-3) || !close(a.columnDirection, b.columnDirection, 1e-3)) return false;
  if (!close(a.spacing, b.spacing, 1e-3)) return false;
  return a.sources.every((s, k) => close(s.position, b.sources[k]!.position, 0.01));
}

async function loadSeries(archive: Archive, seriesUid: string) {
  const snap = await loadSeriesSnapshot(archive, seriesUid);
  if (!snap) throw new Error('series no longer stored');
  const volume = await buildVolume(
    (async function* () {
      for (const i of snap.instances) yield await archive.blobs.read(i.sha256);
    })(),
  );
  return { volume, instances: snap.instances.map((i) => ({ sopClassUid: i.sopClassUid, sopInstanceUid: i.sopInstanceUid })) };
}

/** The Dixon signals on `grid`, or a note saying why there are none (no PHI: series roles only). */
export async function loadDixon(archive: Archive, studyInstanceUid: string, grid: VolumeGeometry): Promise<{ dixon?: DixonInput; note: string }> {
  const pair = findDixonPair(await dixonCandidates(archive, studyInstanceUid));
  if ('none' in pair) return { note: pair.none };
  try {
    const [fat, water] = await Promise.all([loadSeries(archive, pair.fat), loadSeries(archive, pair.water)]);
    if (!sameGrid(grid, fat.volume) || !sameGrid(grid, water.volume)) return { note: 'fat / water series are not on the grid of the segmented series' };
    return {
      dixon: { signals: { fat: fat.volume.data, water: water.volume.data }, fat: { seriesInstanceUid: pair.fat, instances: fat.instances }, water: { seriesInstanceUid: pair.water, instances: water.instances } },
      note: 'fat fraction from the fat and water series of the study',
    };
  } catch (err) {
    return { note: `fat / water series unreadable: ${(err as Error).message}` };
  }
}
