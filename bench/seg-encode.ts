/**
 * SEG encoding: our writer against dcmjs.derivations.Segmentation on the same label volume
 * (100 slices of 512×512, 10 spherical segments), with a check that both give the same masks.
 */
import { createRequire } from 'node:module';
import { MR_IMAGE_STORAGE, syntheticSeries } from '../src/dicom/synthetic-mr.js';
import type { LabelVolume } from '../src/dicom/volume.js';
import { readSeg } from '../src/seg/seg-reader.js';
import { writeSeg, type WriteSegInput } from '../src/seg/seg-writer.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dcmjs: any = createRequire(import.meta.url)('dcmjs');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

export async function segEncodeBench(rounds = 3): Promise<string> {
  const cols = 512;
  const rows = 512;
  const slices = 100;
  const nseg = 10;
  const series = syntheticSeries({ count: slices, rows, columns: cols });
  const insts = [...series.instances];
  const data = new Uint8Array(cols * rows * slices);
  for (let s = 1; s <= nseg; s++) {
    const cx = 80 + ((s - 1) % 5) * 90;
    const cy = 150 + Math.floor((s - 1) / 5) * 200;
    const cz = 20 + ((s * 7) % 60);
    for (let k = 0; k < slices; k++) {
      const dz = ((k - cz) * 3) / 0.9375;
      for (let j = 0; j < rows; j++) for (let i = 0; i < cols; i++) if ((i - cx) ** 2 + (j - cy) ** 2 + dz * dz < 45 * 45) data[(k * rows + j) * cols + i] = s;
    }
  }
  const labels: LabelVolume = {
    columns: cols, rows, slices, spacing: [0.9375, 0.9375, 3], origin: insts[0]!.imagePositionPatient, rowDirection: [1, 0, 0], columnDirection: [0, 1, 0], normal: [0, 0, 1],
    frameOfReferenceUid: series.frameOfReferenceUID, studyInstanceUid: series.studyInstanceUID, seriesInstanceUid: series.seriesInstanceUID,
    sources: insts.map((x) => ({ sopInstanceUid: x.sopInstanceUID, sopClassUid: MR_IMAGE_STORAGE, position: x.imagePositionPatient })),
    data,
  };
  const code = { value: '91723000', scheme: 'SCT', meaning: 'Anatomical Structure' };
  const input: WriteSegInput = {
    labels,
    segments: Array.from({ length: nseg }, (_, n) => ({ labelValue: n + 1, label: `S${n + 1}`, category: code, type: code, color: [200, 20 * n, 100] as [number, number, number] })),
    algorithm: { type: 'AUTOMATIC', name: 'bench', version: '1' },
    source: {},
    series: { seriesNumber: 1 },
    equipment: { manufacturerModelName: 'bench', softwareVersions: '1', deviceSerialNumber: '1' },
  };
  let ours = writeSeg(input);
  const oursMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    ours = writeSeg(input);
    oursMs.push(performance.now() - t0);
  }
  const sameOurs = readSeg(ours, labels).labels.data.every((v, i) => v === data[i]);

  // dcmjs: its own derivation from the source datasets, then encoding (what a JS node would use).
  const natural = insts.map((x) => {
    const f = dcmjs.data.DicomMessage.readFile(x.bytes.buffer.slice(x.bytes.byteOffset, x.bytes.byteOffset + x.bytes.byteLength));
    const d = dcmjs.data.DicomMetaDictionary.naturalizeDataset(f.dict);
    d._meta = dcmjs.data.DicomMetaDictionary.namifyDataset(f.meta);
    return d;
  });
  const P = rows * cols;
  const dcmjsMs: number[] = [];
  let theirs: ArrayBuffer | undefined;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const seg = new dcmjs.derivations.Segmentation([dcmjs.normalizers.Normalizer.normalizeToDataset(natural)]);
    const perSeg: number[][] = [];
    let total = 0;
    for (let s = 1; s <= nseg; s++) {
      const ks: number[] = [];
      for (let k = 0; k < slices; k++) if (data.subarray(k * P, (k + 1) * P).includes(s)) ks.push(k);
      perSeg.push(ks);
      total += ks.length;
    }
    seg.setNumberOfFrames(total);
    for (let s = 1; s <= nseg; s++) {
      const ks = perSeg[s - 1]!;
      const masks = ks.map((k) => {
        const m = new Uint8Array(P);
        const sl = data.subarray(k * P, (k + 1) * P);
        for (let p = 0; p < P; p++) m[p] = sl[p] === s ? 1 : 0;
        return m;
      });
      seg.addSegmentFromLabelmap(
        { SegmentLabel: `S${s}`, SegmentedPropertyCategoryCodeSequence: { CodeValue: code.value, CodingSchemeDesignator: 'SCT', CodeMeaning: code.meaning }, SegmentedPropertyTypeCodeSequence: { CodeValue: code.value, CodingSchemeDesignator: 'SCT', CodeMeaning: code.meaning }, SegmentAlgorithmType: 'AUTOMATIC', SegmentAlgorithmName: 'bench', RecommendedDisplayCIELabValue: [1, 2, 3] },
        masks,
        s,
        ks.map((k) => k + 1),
      );
    }
    seg.bitPackPixelData();
    theirs = dcmjs.data.datasetToBuffer(seg.dataset) as ArrayBuffer;
    dcmjsMs.push(performance.now() - t0);
  }
  const theirsRead = readSeg(Buffer.from(theirs!), labels).labels.data;
  let differ = 0;
  for (let i = 0; i < data.length; i++) if (theirsRead[i] !== data[i]) differ++;
  const sameTheirs = differ === 0 ? 'true' : `false (${differ} of ${data.length} voxels differ)`;
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const o = med(oursMs);
  const d = med(dcmjsMs);
  return [
    '| writer | time (median) | size | masks equal the input |',
    '|---|---|---|---|',
    `| dafne-node writeSeg | ${o.toFixed(0)} ms | ${(ours.length / 1e6).toFixed(1)} MB | ${sameOurs} |`,
    `| dcmjs.derivations.Segmentation + datasetToBuffer | ${d.toFixed(0)} ms | ${(theirs!.byteLength / 1e6).toFixed(1)} MB | ${sameTheirs} |`,
    `| speed-up (target ≥ 5×) | ${(d / o).toFixed(1)}× | | |`,
  ].join('\n');
}
