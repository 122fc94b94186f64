/**
 * The attributes of one Enhanced MR Image instance (PS3.3 §A.36.2, SOP Class 1.2.840.10008.5.1.4.1.1.4.1)
 * that differ from a single-frame MR image: the Multi-frame Functional Groups (C.7.6.16) with the
 * macros Table A.36-2 requires for an ORIGINAL image, the Multi-frame Dimension module (C.7.6.17),
 * Enhanced General Equipment (C.7.5.2), Acquisition Context (C.7.6.14), Enhanced MR Image (C.8.13.1),
 * MR Image and Spectroscopy Instance (C.8.13.2) and MR Pulse Sequence (C.8.13.4).
 *
 * Geometry is per frame where it varies (Plane Position, Frame Content) and shared otherwise (Pixel
 * Measures, Plane Orientation, Pixel Value Transformation and all MR acquisition macros).
 */
import type { DataElement } from '../dicom/part10-writer.js';
import { newUid } from '../dicom/synthetic-mr.js';
import type { Vec3 } from '../dicom/volume.js';

export const ENHANCED_MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4.1';

/** Acquisition parameters that make a contrast plausible (1.5 T spin echo / turbo spin echo). */
export interface SequenceParameters {
  contrast: 'T1' | 'T2' | 'PROTON_DENSITY' | 'UNKNOWN';
  repetitionTime: number;
  echoTime: number;
  echoTrainLength: number;
  flipAngle: number;
}

export interface EnhancedContext {
  rows: number;
  columns: number;
  pixelSpacing: [number, number];
  sliceThickness: number;
  orientation: number[];
  /** ImagePositionPatient of each frame, in frame order */
  positions: Vec3[];
  /** 1-based spatial position of each frame along the stack (In-Stack Position Number) */
  stackPositions: number[];
  rescaleSlope: number;
  rescaleIntercept: number;
  laterality: 'R' | 'L' | 'B';
  sequence: SequenceParameters;
  /** DICOM DT of the acquisition, e.g. 20240102101500 */
  dateTime: string;
  manufacturer: string;
  modelName: string;
  windowCenter: number;
  windowWidth: number;
}

type Item = DataElement[];
const sq = (tag: number, ...items: Item[]): DataElement => ({ tag, vr: 'SQ', value: items });
const code = (value: string, scheme: string, meaning: string): Item => [
  { tag: 0x00080100, vr: 'SH', value }, { tag: 0x00080102, vr: 'SH', value: scheme }, { tag: 0x00080104, vr: 'LO', value: meaning },
];

/** MR Image Description + Common CT/MR Image Description attributes (image and frame level alike). */
const describe = (s: SequenceParameters): Item => [
  { tag: 0x00089205, vr: 'CS', value: 'MONOCHROME' }, // Pixel Presentation
  { tag: 0x00089206, vr: 'CS', value: 'VOLUME' }, // Volumetric Properties
  { tag: 0x00089207, vr: 'CS', value: 'NONE' }, // Volume Based Calculation Technique
  { tag: 0x00089208, vr: 'CS', value: 'MAGNITUDE' }, // Complex Image Component
  { tag: 0x00089209, vr: 'CS', value: s.contrast }, // Acquisition Contrast
];

/** Everything of the instance except Patient / Study / Series / SOP Common / Image Pixel. */
export function enhancedMrElements(c: EnhancedContext): DataElement[] {
  const s = c.sequence;
  const frameType = ['ORIGINAL', 'PRIMARY', 'VOLUME', 'NONE'];
  const dimensionOrganization = newUid();
  const shared: Item = [
    sq(0x00289132, [ // Frame VOI LUT (C.7.6.16.2.10): a window over muscle and fat, in rescaled units
      { tag: 0x00281050, vr: 'DS', value: c.windowCenter },
      { tag: 0x00281051, vr: 'DS', value: c.windowWidth },
    ]),
    sq(0x00289110, [ // Pixel Measures (C.7.6.16.2.1)
      { tag: 0x00280030, vr: 'DS', value: c.pixelSpacing },
      { tag: 0x00180050, vr: 'DS', value: c.sliceThickness },
    ]),
    sq(0x00209116, [{ tag: 0x00200037, vr: 'DS', value: c.orientation }]), // Plane Orientation (C.7.6.16.2.4)
    sq(0x00209071, [ // Frame Anatomy (C.7.6.16.2.8): the lower leg, and which one(s)
      sq(0x00082218, code('30021000', 'SCT', 'Lower leg')),
      { tag: 0x00209072, vr: 'CS', value: c.laterality },
    ]),
    sq(0x00289145, [ // Pixel Value Transformation (C.7.6.16.2.9); MR has no standard unit: US
      { tag: 0x00281052, vr: 'DS', value: c.rescaleIntercept },
      { tag: 0x00281053, vr: 'DS', value: c.rescaleSlope },
      { tag: 0x00281054, vr: 'LO', value: 'US' },
    ]),
    sq(0x00189226, [ // MR Image Frame Type (C.8.13.5.1)
      { tag: 0x00089007, vr: 'CS', value: frameType },
      ...describe(s),
    ]),
    sq(0x00189112, [ // MR Timing and Related Parameters (C.8.13.5.2)
      { tag: 0x00180080, vr: 'DS', value: s.repetitionTime },
      { tag: 0x00181314, vr: 'DS', value: s.flipAngle },
      { tag: 0x00180091, vr: 'IS', value: s.echoTrainLength },
      { tag: 0x00189240, vr: 'US', value: s.echoTrainLength }, // RF Echo Train Length
      { tag: 0x00189241, vr: 'US', value: 0 }, // Gradient Echo Train Length
      sq(0x00189239, [ // Specific Absorption Rate: well within the IEC normal mode
        { tag: 0x00189179, vr: 'CS', value: 'IEC_WHOLE_BODY' },
        { tag: 0x00189181, vr: 'FD', value: 0.8 },
      ]),
      { tag: 0x00189180, vr: 'CS', value: 'DB_DT' }, // Gradient Output Type
      { tag: 0x00189182, vr: 'FD', value: 0.3 }, // Gradient Output
      sq(0x00189176, ...['STATIC FIELD', 'RF', 'GRADIENT'].map((type): Item => [ // Operating Mode
        { tag: 0x00189177, vr: 'CS', value: type },
        { tag: 0x00189178, vr: 'CS', value: 'IEC_NORMAL' },
      ])),
    ]),
    sq(0x00189125, [ // MR FOV/Geometry (C.8.13.5.3)
      { tag: 0x00181312, vr: 'CS', value: 'ROW' }, // In-plane Phase Encoding Direction
      { tag: 0x00189058, vr: 'US', value: c.columns }, // MR Acquisition Frequency Encoding Steps
      { tag: 0x00189231, vr: 'US', value: c.rows }, // MR Acquisition Phase Encoding Steps in-plane
      { tag: 0x00180093, vr: 'DS', value: 100 }, // Percent Sampling
      { tag: 0x00180094, vr: 'DS', value: 100 }, // Percent Phase Field of View
    ]),
    sq(0x00189114, [{ tag: 0x00189082, vr: 'FD', value: s.echoTime }]), // MR Echo: Effective Echo Time
    sq(0x00189115, [ // MR Modifier (C.8.13.5.6)
      { tag: 0x00189009, vr: 'CS', value: 'NO' }, // Inversion Recovery
      { tag: 0x00189010, vr: 'CS', value: 'NONE' }, // Flow Compensation
      { tag: 0x00189021, vr: 'CS', value: 'NO' }, // T2 Preparation
      { tag: 0x00189026, vr: 'CS', value: 'NONE' }, // Spectrally Selected Excitation
      { tag: 0x00189027, vr: 'CS', value: 'NONE' }, // Spatial Pre-saturation
      { tag: 0x00189081, vr: 'CS', value: 'NO' }, // Partial Fourier
      { tag: 0x00189077, vr: 'CS', value: 'NO' }, // Parallel Acquisition
    ]),
    sq(0x00189006, [ // MR Imaging Modifier (C.8.13.5.7)
      { tag: 0x00189020, vr: 'CS', value: 'NONE' }, // Magnetization Transfer
      { tag: 0x00189022, vr: 'CS', value: 'NO' }, // Blood Signal Nulling
      { tag: 0x00189028, vr: 'CS', value: 'NONE' }, // Tagging
      { tag: 0x00189098, vr: 'FD', value: 63.87 }, // Transmitter Frequency (MHz)
      { tag: 0x00180095, vr: 'DS', value: 200 }, // Pixel Bandwidth (Hz)
    ]),
    sq(0x00189042, [ // MR Receive Coil (C.8.13.5.8)
      { tag: 0x00181250, vr: 'SH', value: 'Extremity' },
      { tag: 0x00189041, vr: 'LO', value: c.manufacturer },
      { tag: 0x00189043, vr: 'CS', value: 'VOLUME' },
      { tag: 0x00189044, vr: 'CS', value: 'YES' }, // Quadrature Receive Coil
    ]),
    sq(0x00189049, [ // MR Transmit Coil (C.8.13.5.9)
      { tag: 0x00181251, vr: 'SH', value: 'Body' },
      { tag: 0x00189050, vr: 'LO', value: c.manufacturer },
      { tag: 0x00189051, vr: 'CS', value: 'BODY' },
    ]),
    sq(0x00189117, [ // MR Diffusion (C.8.13.5.10): none
      { tag: 0x00189087, vr: 'FD', value: 0 },
      { tag: 0x00189075, vr: 'CS', value: 'NONE' },
    ]),
    sq(0x00189119, [{ tag: 0x00180083, vr: 'DS', value: 1 }]), // MR Averages
    sq(0x00189107), // MR Spatial Saturation (type 2): no saturation slabs
  ];

  const perFrame: Item[] = c.positions.map((pos, f) => [
    sq(0x00209111, [ // Frame Content (C.7.6.16.2.2)
      { tag: 0x00189151, vr: 'DT', value: c.dateTime }, // Frame Reference DateTime
      { tag: 0x00189074, vr: 'DT', value: c.dateTime }, // Frame Acquisition DateTime
      { tag: 0x00189220, vr: 'FD', value: 1000 }, // Frame Acquisition Duration (ms)
      { tag: 0x00209056, vr: 'SH', value: '1' }, // Stack ID
      { tag: 0x00209057, vr: 'UL', value: c.stackPositions[f]! }, // In-Stack Position Number
      { tag: 0x00209157, vr: 'UL', value: [1, c.stackPositions[f]!] }, // Dimension Index Values
    ]),
    sq(0x00209113, [{ tag: 0x00200032, vr: 'DS', value: pos }]), // Plane Position (Patient)
  ]);

  return [
    { tag: 0x00080008, vr: 'CS', value: frameType }, // Image Type (C.8.13.1.1.1)
    // Image-level MR Image Description and Common CT/MR Image Description macros (C.8.13.3, C.8.16.2)
    ...describe(s),
    { tag: 0x00080070, vr: 'LO', value: c.manufacturer },
    { tag: 0x00081090, vr: 'LO', value: c.modelName },
    { tag: 0x00181000, vr: 'LO', value: 'PHANTOM-0001' }, // Device Serial Number (Enhanced General Equipment)
    { tag: 0x00181020, vr: 'LO', value: 'dafne-node phantom' }, // Software Versions
    { tag: 0x00280008, vr: 'IS', value: c.positions.length }, // Number of Frames
    { tag: 0x00200013, vr: 'IS', value: 1 }, // Instance Number
    { tag: 0x0008002a, vr: 'DT', value: c.dateTime }, // Acquisition DateTime
    { tag: 0x00189073, vr: 'FD', value: c.positions.length }, // Acquisition Duration (s)
    { tag: 0x00200012, vr: 'IS', value: 1 }, // Acquisition Number
    { tag: 0x00189004, vr: 'CS', value: 'PRODUCT' }, // Content Qualification
    { tag: 0x00189100, vr: 'CS', value: '1H' }, // Resonant Nucleus
    { tag: 0x00189064, vr: 'CS', value: 'NONE' }, // k-space Filtering
    { tag: 0x00180087, vr: 'DS', value: 1.5 }, // Magnetic Field Strength
    { tag: 0x00189174, vr: 'CS', value: 'IEC' }, // Applicable Safety Standard Agency
    { tag: 0x00180015, vr: 'CS', value: 'LEG' }, // Body Part Examined
    { tag: 0x00280301, vr: 'CS', value: 'NO' }, // Burned In Annotation
    { tag: 0x00282110, vr: 'CS', value: '00' }, // Lossy Image Compression (a writer changes this when lossy)
    { tag: 0x20500020, vr: 'CS', value: 'IDENTITY' }, // Presentation LUT Shape (MONOCHROME2)
    { tag: 0x00189005, vr: 'SH', value: s.echoTrainLength > 1 ? 'TSE' : 'SE' }, // Pulse Sequence Name
    { tag: 0x00180023, vr: 'CS', value: '2D' }, // MR Acquisition Type
    { tag: 0x00189008, vr: 'CS', value: 'SPIN' }, // Echo Pulse Sequence
    { tag: 0x00189011, vr: 'CS', value: 'NO' }, // Multiple Spin Echo
    { tag: 0x00189012, vr: 'CS', value: 'NO' }, // Multi-planar Excitation
    { tag: 0x00189014, vr: 'CS', value: 'NO' }, // Phase Contrast
    { tag: 0x00189015, vr: 'CS', value: 'NO' }, // Time of Flight Contrast
    { tag: 0x00189017, vr: 'CS', value: 'NONE' }, // Steady State Pulse Sequence
    { tag: 0x00189018, vr: 'CS', value: 'NO' }, // Echo Planar Pulse Sequence
    { tag: 0x00189024, vr: 'CS', value: 'NO' }, // Saturation Recovery
    { tag: 0x00189025, vr: 'CS', value: 'NONE' }, // Spectrally Selected Suppression
    { tag: 0x00189093, vr: 'US', value: 1 }, // Number of k-Space Trajectories
    { tag: 0x00189032, vr: 'CS', value: 'RECTILINEAR' }, // Geometry of k-Space Traversal
    { tag: 0x00189034, vr: 'CS', value: 'LINEAR' }, // Rectilinear Phase Encode Reordering
    { tag: 0x00189033, vr: 'CS', value: 'SINGLE' }, // Segmented k-Space Traversal
    { tag: 0x00189029, vr: 'CS', value: 'NONE' }, // Oversampling Phase
    sq(0x00400555), // Acquisition Context Sequence (type 2, empty)
    sq(0x00209221, [{ tag: 0x00209164, vr: 'UI', value: dimensionOrganization }]), // Dimension Organization
    { tag: 0x00209311, vr: 'CS', value: '3D' }, // Dimension Organization Type
    sq(0x00209222, // Dimension Index: Stack ID, then In-Stack Position Number, both in Frame Content
      [{ tag: 0x00209164, vr: 'UI', value: dimensionOrganization }, { tag: 0x00209165, vr: 'AT', value: 0x00209056 }, { tag: 0x00209167, vr: 'AT', value: 0x00209111 }, { tag: 0x00209421, vr: 'LO', value: 'Stack ID' }],
      [{ tag: 0x00209164, vr: 'UI', value: dimensionOrganization }, { tag: 0x00209165, vr: 'AT', value: 0x00209057 }, { tag: 0x00209167, vr: 'AT', value: 0x00209111 }, { tag: 0x00209421, vr: 'LO', value: 'In-Stack Position Number' }],
    ),
    { tag: 0x52009229, vr: 'SQ', value: [shared] }, // Shared Functional Groups
    { tag: 0x52009230, vr: 'SQ', value: perFrame }, // Per-frame Functional Groups
  ];
}
