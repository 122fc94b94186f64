/**
 * An independent reader of our measurement reports for the tests: dcmjs parses the Part 10 file,
 * and the TID 1411 groups are found by concept codes, not by position.
 */
// dcmjs ships no type declarations; a non-literal specifier keeps tsc from needing them.
const dcmjsName: string = 'dcmjs';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dcmjs: any = (await import(dcmjsName)).default;

type Ds = Record<string, { vr: string; Value?: unknown[] }>;
const seq = (d: Ds, tag: string): Ds[] => (d[tag]?.Value ?? []) as Ds[];
const first = (d: Ds, tag: string): unknown => d[tag]?.Value?.[0];
const conceptOf = (d: Ds): string => `${String(first(seq(d, '0040A043')[0] ?? {}, '00080100'))}`;

export interface ReadGroup {
  label: string;
  trackingUid: string;
  segmentNumber: number;
  segSopInstanceUid: string;
  volumeMl?: number;
  mean?: number;
  sd?: number;
  fatFractionPercent?: number;
}

function numOf(item: Ds): number {
  const mv = seq(item, '0040A300')[0]!;
  const fp = first(mv, '0040A161');
  return fp !== undefined ? Number(fp) : Number(first(mv, '0040A30A'));
}

export function readReport(bytes: Buffer): { sopClassUid: string; seriesDescription: string; groups: ReadGroup[]; dict: Ds } {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const dict = dcmjs.data.DicomMessage.readFile(ab).dict as Ds;
  const root = seq(dict, '0040A730');
  const measurements = root.find((i) => conceptOf(i) === '126010');
  const groups: ReadGroup[] = [];
  for (const g of seq(measurements ?? {}, '0040A730').filter((i) => conceptOf(i) === '125007')) {
    const items = seq(g, '0040A730');
    const by = (code: string) => items.filter((i) => conceptOf(i) === code);
    const ref = seq(by('121191')[0]!, '00081199')[0]!;
    const out: ReadGroup = {
      label: String(first(by('112039')[0]!, '0040A160')),
      trackingUid: String(first(by('112040')[0]!, '0040A124')),
      segmentNumber: Number(first(ref, '0062000B')),
      segSopInstanceUid: String(first(ref, '00081155')),
    };
    const vol = by('118565006')[0];
    if (vol) out.volumeMl = numOf(vol);
    for (const s of by('110852')) {
      const derivation = String(first(seq(seq(s, '0040A730')[0]!, '0040A168')[0]!, '00080100'));
      if (derivation === '373098007') out.mean = numOf(s);
      if (derivation === '386136009') out.sd = numOf(s);
    }
    const ff = by('FF-DIXON')[0];
    if (ff) out.fatFractionPercent = numOf(ff);
    groups.push(out);
  }
  return { sopClassUid: String(first(dict, '00080016')), seriesDescription: String(first(dict, '0008103E')), groups, dict };
}
