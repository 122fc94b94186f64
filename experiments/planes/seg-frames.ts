import { createRequire } from 'node:module';
import type { Vec3 } from '../../src/dicom/volume.js';

// dcmjs ships no type declarations; loaded through require so tsc needs none.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dcmjs: any = createRequire(import.meta.url)('dcmjs');

interface FrameItem {
  DerivationImageSequence: { SourceImageSequence: { ReferencedSOPInstanceUID: string } };
  PlanePositionSequence: { ImagePositionPatient: number[] };
}

/**
 * Whether every frame of a SEG names one acquired instance and sits exactly where that instance is
 * (PS3.3 C.8.20.2 / C.7.6.16.2.6: Source Image Sequence in the Derivation Image functional group;
 * C.7.6.16.2.3 Plane Position): the check that a SEG of a reformatted series still describes the
 * acquired frames. Returns the problems found (empty when it holds) and the frame count.
 */
export function frameProblems(seg: Buffer, sources: readonly { sopInstanceUid: string; position: Vec3 }[]): { frames: number; problems: string[] } {
  const ab = seg.buffer.slice(seg.byteOffset, seg.byteOffset + seg.byteLength);
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(ab).dict);
  const where = new Map(sources.map((s) => [s.sopInstanceUid, s.position]));
  const frames = (ds.PerFrameFunctionalGroupsSequence ?? []) as FrameItem[];
  const problems: string[] = [];
  frames.forEach((f, n) => {
    const uid = f.DerivationImageSequence?.SourceImageSequence?.ReferencedSOPInstanceUID;
    const pos = uid ? where.get(uid) : undefined;
    if (!pos) return void problems.push(`frame ${n + 1} references ${uid ?? 'nothing'}, not an acquired instance`);
    const ipp = f.PlanePositionSequence.ImagePositionPatient.map(Number);
    if (!ipp.every((v, i) => Math.abs(v - pos[i]!) < 1e-3)) problems.push(`frame ${n + 1} at ${ipp.join('\\')}, its source at ${pos.join('\\')}`);
  });
  return { frames: frames.length, problems };
}
