/**
 * Segment Sequence (0062,0002) items, both ways: SegmentDefinition → Segment Description Macro
 * (PS3.3 C.8.20.4, Table C.8.20-4) with the Algorithm Identification Macro (PS3.3 Table 10-19), and
 * back. Codes follow the Code Sequence Macro (PS3.3 Table 8.8-1).
 */
import { newUid } from '../dicom/synthetic-mr.js';
import type { DataElement } from '../dicom/part10-writer.js';
import { dicomLabToSrgb, srgbToDicomLab } from './cielab.js';
import { firstItem, items, nums, num, text, type DcmDataset } from './dcmjs-dataset.js';
import { SegReadError, SegWriteError } from './seg-errors.js';
import type { Code, SegAlgorithm, SegmentDefinition } from './segment.js';
import { T } from './seg-tags.js';

/** CID 7162 "Artificial Intelligence", the default Algorithm Family for model output. */
export const AI_ALGORITHM_FAMILY: Code = { value: '123110', scheme: 'DCM', meaning: 'Artificial Intelligence' };

const URN_CODE_VALUE = 0x00080120;

/** Truncates to a VR's maximum length in characters (PS3.5 Table 6.2-1: LO 64, SH 16, CS 16). */
export const fit = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

/**
 * Code Sequence Macro item. Code Value is SH (16 characters); longer codes (e.g. some SNOMED CT
 * identifiers) go in Long Code Value (0008,0119), URNs in URN Code Value (0008,0120) (PS3.3 8.8).
 */
export function codeItem(c: Code): DataElement[] {
  const value =
    /^[a-z][a-z0-9+.-]*:/i.test(c.value) && c.value.length > 16
      ? { tag: URN_CODE_VALUE, vr: 'UR' as const, value: c.value }
      : c.value.length > 16
        ? { tag: T.LongCodeValue, vr: 'UC' as const, value: c.value }
        : { tag: T.CodeValue, vr: 'SH' as const, value: c.value };
  const els: DataElement[] = [value, { tag: T.CodeMeaning, vr: 'LO', value: fit(c.meaning, 64) }];
  // URN codes carry no Coding Scheme Designator (PS3.3 Table 8.8-1, type 1C).
  if (value.tag !== URN_CODE_VALUE) els.push({ tag: T.CodingSchemeDesignator, vr: 'SH', value: c.scheme });
  return els;
}

export const codeSequence = (tag: number, c: Code): DataElement => ({ tag, vr: 'SQ', value: [codeItem(c)] });

/**
 * Segment Sequence for a BINARY SEG: segments sorted by label value, which is the Segment Number.
 * Segment Numbers start at 1 and increase by 1 (PS3.3 C.8.20.2.4), so the label values must be 1..n.
 */
export function segmentSequence(segments: readonly SegmentDefinition[], algorithm: SegAlgorithm): DataElement {
  const sorted = [...segments].sort((a, b) => a.labelValue - b.labelValue);
  if (sorted.length === 0) throw new SegWriteError('a SEG needs at least one segment');
  sorted.forEach((s, i) => {
    if (s.labelValue !== i + 1) {
      throw new SegWriteError(`segment label values must be 1..${sorted.length} (Segment Numbers, PS3.3 C.8.20.2.4); got ${sorted.map((x) => x.labelValue).join(',')}`);
    }
  });
  const automatic = algorithm.type !== 'MANUAL';
  if (automatic && (!algorithm.name || !algorithm.version)) {
    throw new SegWriteError(`${algorithm.type} segments need an algorithm name and version (PS3.3 Table 10-19)`);
  }
  const itemsOut = sorted.map((s): DataElement[] => {
    const typeItem = codeItem(s.type);
    if (s.typeModifier) typeItem.push(codeSequence(T.SegmentedPropertyTypeModifierCodeSequence, s.typeModifier));
    const el: DataElement[] = [
      { tag: T.SegmentNumber, vr: 'US', value: s.labelValue },
      { tag: T.SegmentLabel, vr: 'LO', value: fit(s.label, 64) },
      { tag: T.SegmentAlgorithmType, vr: 'CS', value: algorithm.type },
      codeSequence(T.SegmentedPropertyCategoryCodeSequence, s.category),
      { tag: T.SegmentedPropertyTypeCodeSequence, vr: 'SQ', value: [typeItem] },
      { tag: T.RecommendedDisplayCIELabValue, vr: 'US', value: srgbToDicomLab(s.color) },
      // Tracking ID and Tracking UID: each required if the other is present (Table C.8.20-4).
      { tag: T.TrackingID, vr: 'UT', value: s.trackingId ?? s.label },
      { tag: T.TrackingUID, vr: 'UI', value: s.trackingUid ?? newUid() },
    ];
    if (automatic) {
      // Segment Algorithm Name: 1C, required if the algorithm type is not MANUAL.
      el.push({ tag: T.SegmentAlgorithmName, vr: 'LO', value: fit(algorithm.name, 64) });
      el.push({
        tag: T.SegmentationAlgorithmIdentificationSequence,
        vr: 'SQ',
        value: [[
          codeSequence(T.AlgorithmFamilyCodeSequence, algorithm.family ?? AI_ALGORITHM_FAMILY),
          { tag: T.AlgorithmName, vr: 'LO', value: fit(algorithm.name, 64) },
          { tag: T.AlgorithmVersion, vr: 'LO', value: fit(algorithm.version, 64) },
        ]],
      });
    }
    return el;
  });
  return { tag: T.SegmentSequence, vr: 'SQ', value: itemsOut };
}

function parseCode(item: DcmDataset | undefined): Code | undefined {
  if (!item) return undefined;
  const value = text(item, T.CodeValue) ?? text(item, T.LongCodeValue) ?? text(item, URN_CODE_VALUE);
  if (value === undefined) return undefined;
  return { value, scheme: text(item, T.CodingSchemeDesignator) ?? '', meaning: text(item, T.CodeMeaning) ?? '' };
}

const EMPTY_CODE: Code = { value: '', scheme: '', meaning: '' };

export interface ParsedSegments {
  /** All items of the Segment Sequence, including any numbered 0 or above 255. */
  segments: SegmentDefinition[];
  algorithm: SegAlgorithm;
}

/**
 * Segment Sequence → SegmentDefinitions (label value = Segment Number). The algorithm is the first
 * segment's; SEGs whose segments come from different algorithms report only that one. Missing
 * codes (type 1, so a non-conformant SEG) become empty codes rather than failing the read.
 */
export function parseSegments(ds: DcmDataset): ParsedSegments {
  const seq = items(ds, T.SegmentSequence);
  if (seq.length === 0) throw new SegReadError('SEG has no Segment Sequence (0062,0002)');
  const seen = new Set<number>();
  const segments = seq.map((it, idx): SegmentDefinition => {
    const n = num(it, T.SegmentNumber);
    if (n === undefined || !Number.isInteger(n)) throw new SegReadError(`Segment Sequence item ${idx + 1} has no Segment Number (0062,0004)`);
    if (seen.has(n)) throw new SegReadError(`Segment Number ${n} appears twice in the Segment Sequence`);
    seen.add(n);
    const typeItem = firstItem(it, T.SegmentedPropertyTypeCodeSequence);
    const lab = nums(it, T.RecommendedDisplayCIELabValue);
    const def: SegmentDefinition = {
      labelValue: n,
      label: text(it, T.SegmentLabel) ?? `Segment ${n}`,
      category: parseCode(firstItem(it, T.SegmentedPropertyCategoryCodeSequence)) ?? EMPTY_CODE,
      type: parseCode(typeItem) ?? EMPTY_CODE,
      color: lab && lab.length === 3 ? dicomLabToSrgb(lab) : [128, 128, 128],
    };
    const modifier = parseCode(firstItem(typeItem, T.SegmentedPropertyTypeModifierCodeSequence));
    if (modifier) def.typeModifier = modifier;
    const trackingId = text(it, T.TrackingID);
    const trackingUid = text(it, T.TrackingUID);
    if (trackingId !== undefined) def.trackingId = trackingId;
    if (trackingUid !== undefined) def.trackingUid = trackingUid;
    return def;
  });
  const first = seq[0]!;
  const rawType = text(first, T.SegmentAlgorithmType);
  const type: SegAlgorithm['type'] = rawType === 'AUTOMATIC' || rawType === 'SEMIAUTOMATIC' ? rawType : 'MANUAL';
  const ident = firstItem(first, T.SegmentationAlgorithmIdentificationSequence);
  const algorithm: SegAlgorithm = {
    type,
    name: text(ident, T.AlgorithmName) ?? text(first, T.SegmentAlgorithmName) ?? '',
    version: text(ident, T.AlgorithmVersion) ?? '',
  };
  const family = parseCode(firstItem(ident, T.AlgorithmFamilyCodeSequence));
  if (family) algorithm.family = family;
  return { segments: segments.sort((a, b) => a.labelValue - b.labelValue), algorithm };
}
