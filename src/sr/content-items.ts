/**
 * SR content items as data elements (PS3.3 C.17.3 SR Document Content Module): the Document
 * Relationship Macro (Table C.17-6: Relationship Type, Content Sequence) around the Document Content
 * Macro (Table C.17-5: Value Type, Concept Name Code Sequence, and the value of that type, PS3.3
 * C.18 Content Item Macros). Only the value types the measurement report uses.
 */
import type { DataElement } from '../dicom/part10-writer.js';
import { formatDS } from '../dicom/part10-writer.js';
import { codeItem, codeSequence } from '../seg/segment-sequence.js';
import type { Code } from '../seg/segment.js';

export const SR = {
  ReferencedSOPSequence: 0x00081199,
  ReferencedSOPClassUID: 0x00081150,
  ReferencedSOPInstanceUID: 0x00081155,
  ReferencedSegmentNumber: 0x0062000b,
  RelationshipType: 0x0040a010,
  ValueType: 0x0040a040,
  ConceptNameCodeSequence: 0x0040a043,
  ContinuityOfContent: 0x0040a050,
  TextValue: 0x0040a160,
  UID: 0x0040a124,
  ConceptCodeSequence: 0x0040a168,
  MeasuredValueSequence: 0x0040a300,
  NumericValue: 0x0040a30a,
  FloatingPointValue: 0x0040a161,
  MeasurementUnitsCodeSequence: 0x004008ea,
  ContentSequence: 0x0040a730,
  ContentTemplateSequence: 0x0040a504,
  MappingResource: 0x00080105,
  MappingResourceUID: 0x00080118,
  TemplateIdentifier: 0x0040db00,
} as const;

export type Relationship = 'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD' | 'HAS PROPERTIES' | 'INFERRED FROM';

/** One content item: its own elements and, optionally, its children (nested Content Sequence). */
export interface Item {
  elements: DataElement[];
  children?: Item[];
}

/** DCMR, the mapping resource of the templates in PS3.16 (its UID: PS3.6 Annex A). */
export const templateSequence = (tid: string): DataElement => ({
  tag: SR.ContentTemplateSequence,
  vr: 'SQ',
  value: [[{ tag: SR.MappingResource, vr: 'CS', value: 'DCMR' }, { tag: SR.MappingResourceUID, vr: 'UI', value: '1.2.840.10008.8.1.1' }, { tag: SR.TemplateIdentifier, vr: 'CS', value: tid }]],
});

const head = (rel: Relationship, type: string, concept: Code): DataElement[] => [
  { tag: SR.RelationshipType, vr: 'CS', value: rel },
  { tag: SR.ValueType, vr: 'CS', value: type },
  codeSequence(SR.ConceptNameCodeSequence, concept),
];

/** Content Sequence elements of a list of children (PS3.3 C.17.3.2.1). */
export function contentSequence(children: readonly Item[]): DataElement {
  return { tag: SR.ContentSequence, vr: 'SQ', value: children.map(flatten) };
}

function flatten(it: Item): DataElement[] {
  return it.children && it.children.length > 0 ? [...it.elements, contentSequence(it.children)] : it.elements;
}

/** CONTAINER (C.18.8): SEPARATE continuity, i.e. the children are independent items. */
export function container(rel: Relationship, concept: Code, children: Item[], tid?: string): Item {
  const elements = [...head(rel, 'CONTAINER', concept), { tag: SR.ContinuityOfContent, vr: 'CS', value: 'SEPARATE' } as DataElement];
  if (tid) elements.push(templateSequence(tid));
  return { elements, children };
}

export const code = (rel: Relationship, concept: Code, value: Code, children?: Item[]): Item => ({
  elements: [...head(rel, 'CODE', concept), { tag: SR.ConceptCodeSequence, vr: 'SQ', value: [codeItem(value)] }],
  children,
});

/** TEXT (C.18.1): Text Value is UT. */
export const textItem = (rel: Relationship, concept: Code, value: string): Item => ({ elements: [...head(rel, 'TEXT', concept), { tag: SR.TextValue, vr: 'UT', value }] });

export const uidref = (rel: Relationship, concept: Code, uid: string): Item => ({ elements: [...head(rel, 'UIDREF', concept), { tag: SR.UID, vr: 'UI', value: uid }] });

/**
 * NUM (C.18.2, Table C.18.1-1 Numeric Measurement Macro): Numeric Value as DS (at most 16
 * characters, so rounded) and the exact value as Floating Point Value (type 1C: allowed whenever
 * the DS cannot carry it exactly).
 */
export function num(rel: Relationship, concept: Code, value: number, units: Code, children?: Item[]): Item {
  const ds = formatDS(Number(value.toPrecision(10)));
  const measured: DataElement[] = [
    { tag: SR.NumericValue, vr: 'DS', value: ds },
    { tag: SR.MeasurementUnitsCodeSequence, vr: 'SQ', value: [codeItem(units)] },
  ];
  if (Number(ds) !== value) measured.push({ tag: SR.FloatingPointValue, vr: 'FD', value });
  return { elements: [...head(rel, 'NUM', concept), { tag: SR.MeasuredValueSequence, vr: 'SQ', value: [measured] }], children };
}

/** IMAGE (C.18.4 Image Reference Macro) of one segment of a SEG: Referenced Segment Number (0062,000B). */
export function segmentReference(rel: Relationship, concept: Code, segSopClassUid: string, segSopInstanceUid: string, segmentNumber: number): Item {
  return {
    elements: [
      ...head(rel, 'IMAGE', concept),
      {
        tag: SR.ReferencedSOPSequence,
        vr: 'SQ',
        value: [[
          { tag: SR.ReferencedSOPClassUID, vr: 'UI', value: segSopClassUid },
          { tag: SR.ReferencedSOPInstanceUID, vr: 'UI', value: segSopInstanceUid },
          { tag: SR.ReferencedSegmentNumber, vr: 'US', value: segmentNumber },
        ]],
      },
    ],
  };
}

/** The root content item's own elements (no Relationship Type: PS3.3 C.17.3, the root has none). */
export function rootElements(concept: Code, children: Item[], tid: string): DataElement[] {
  return [
    { tag: SR.ValueType, vr: 'CS', value: 'CONTAINER' },
    codeSequence(SR.ConceptNameCodeSequence, concept),
    { tag: SR.ContinuityOfContent, vr: 'CS', value: 'SEPARATE' },
    templateSequence(tid),
    contentSequence(children),
  ];
}
