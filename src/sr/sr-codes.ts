/**
 * Coded concepts of the quantitative SR (PS3.16). DCM codes are from PS3.16 Annex D (DICOM Controlled
 * Terminology Definitions), SCT from SNOMED CT as PS3.16 uses them in the named context groups, units
 * from UCUM (PS3.16 CID 82 "Units of Measurement", coding scheme designator UCUM).
 */
import type { Code } from '../seg/segment.js';

const dcm = (value: string, meaning: string): Code => ({ value, scheme: 'DCM', meaning });
const sct = (value: string, meaning: string): Code => ({ value, scheme: 'SCT', meaning });
const ucum = (value: string, meaning: string): Code => ({ value, scheme: 'UCUM', meaning });

export const CODES = {
  // TID 1500 Measurement Report, row 1: the document title (CID 7021).
  imagingMeasurementReport: dcm('126000', 'Imaging Measurement Report'),
  // TID 1204 Language of Content Item and Descendants; value from CID 5000 (RFC 5646 tags).
  language: dcm('121049', 'Language of Content Item and Descendants'),
  englishUS: { value: 'en-US', scheme: 'RFC5646', meaning: 'English (United States)' } as Code,
  // TID 1002 Observer Context / TID 1004 Device Observer Identifying Attributes.
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  deviceObserverUid: dcm('121012', 'Device Observer UID'),
  deviceObserverName: dcm('121013', 'Device Observer Name'),
  deviceObserverManufacturer: dcm('121014', 'Device Observer Manufacturer'),
  deviceObserverModelName: dcm('121015', 'Device Observer Model Name'),
  // TID 1500 row 3: Procedure reported (CID 100 Quantitative Diagnostic Imaging Procedures).
  procedureReported: dcm('121058', 'Procedure reported'),
  mri: sct('113091000', 'Magnetic resonance imaging'),
  imaging: sct('363679005', 'Imaging'),
  // TID 1500 row 6 / TID 1411.
  imagingMeasurements: dcm('126010', 'Imaging Measurements'),
  measurementGroup: dcm('125007', 'Measurement Group'),
  // TID 4108 Tracking Identifier.
  trackingIdentifier: dcm('112039', 'Tracking Identifier'),
  trackingUniqueIdentifier: dcm('112040', 'Tracking Unique Identifier'),
  // TID 1411 rows: Finding, Referenced Segment, Source series for segmentation, Finding Site.
  finding: dcm('121071', 'Finding'),
  referencedSegment: dcm('121191', 'Referenced Segment'),
  sourceSeriesForSegmentation: dcm('121232', 'Source series for segmentation'),
  findingSite: sct('363698007', 'Finding Site'),
  // TID 1419 ROI Measurements: the NUM concepts and their Derivation (CID 7464 General Region of Interest Measurement Modifiers).
  volume: sct('118565006', 'Volume'),
  mrSignalIntensity: dcm('110852', 'MR signal intensity'),
  derivation: dcm('121401', 'Derivation'),
  mean: sct('373098007', 'Mean'),
  standardDeviation: sct('386136009', 'Standard Deviation'),
  // No code for a Dixon signal fat fraction was found in PS3.16's context groups; a private
  // coding scheme (designators beginning "99", PS3.16 §8.2) keeps it coded and unambiguous, and
  // the SOP Common's Coding Scheme Identification Sequence (PS3.3 C.12.1) names the scheme.
  fatFraction: { value: 'FF-DIXON', scheme: '99DAFNE', meaning: 'Signal fat fraction (Dixon)' } as Code,
} as const;

export const UNITS = {
  milliliter: ucum('mL', 'milliliter'),
  // Signal intensity of MR has no physical unit: UCUM arbitrary unit.
  arbitrary: ucum("[arb'U]", 'arbitrary unit'),
  percent: ucum('%', 'percent'),
} as const;

/** PS3.3 Table C.12-2 Coding Scheme Identification Sequence item for the private scheme above. */
export const PRIVATE_SCHEME = { designator: '99DAFNE', name: 'Dafne Node local codes', responsible: 'Dafne Node' };
