/** A coded concept (PS3.3 Table 8.8-1 Code Sequence Macro), e.g. SNOMED CT. */
export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

/**
 * One segment of a SEG (PS3.3 C.8.20.4 Segment Description Macro): label value in a label volume
 * ↔ SegmentNumber, with its category / type codes and display colour.
 */
export interface SegmentDefinition {
  /** Value in the label volume and SegmentNumber (1..n) in the SEG. */
  labelValue: number;
  label: string;
  category: Code;
  type: Code;
  /** Optional anatomic region modifier, e.g. laterality (SNOMED 24028007 right, 7771000 left). */
  typeModifier?: Code;
  /** sRGB 0–255; written as RecommendedDisplayCIELabValue (PS3.3 C.10.7.1.1). */
  color: [number, number, number];
  trackingId?: string;
  trackingUid?: string;
}

/** Who/what made the segmentation (PS3.3 C.8.20.2 Segmentation Series, C.8.20.4 AlgorithmIdentification). */
export interface SegAlgorithm {
  /** 'AUTOMATIC' for model output, 'MANUAL' / 'SEMIAUTOMATIC' for a reader's correction. */
  type: 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL';
  name: string;
  version: string;
  family?: Code;
}
