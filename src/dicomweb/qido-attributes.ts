/**
 * The attributes QIDO-RS knows (PS3.18 §10.6.1.2 matching keys, §10.6.3 Tables 10.6.3-3/-4/-5 return
 * attributes): where each lives in the archive index and how it may be matched (PS3.4 §C.2.2.2).
 * The catalog is the only place SQL column names appear next to DICOM keywords; every fragment here
 * is a constant, never built from request input.
 */

/** Entity level of an attribute; patient attributes count as study level (Study Root, PS3.4 §C.6.2). */
export type Level = 'study' | 'series' | 'instance';

export const LEVEL_RANK: Record<Level, number> = { study: 0, series: 1, instance: 2 };

/**
 * How a matching key is compared (PS3.4 §C.2.2.2):
 * - `text`: single value (exact, case-sensitive), wildcard (`*`, `?`) and multiple value (`\`) matching;
 * - `pn`: as `text` but case-insensitive (PS3.4 §C.2.2.2.1 allows it for PN);
 * - `code`: as `text` for CS values, which may also be listed with commas (`MR,CT`);
 * - `date` / `time`: single value and range matching (§C.2.2.2.5);
 * - `uid`: UID list matching (§C.2.2.2.2), comma or backslash separated;
 * - `int`: single value matching of an IS / US number.
 */
export type MatchKind = 'text' | 'pn' | 'code' | 'date' | 'time' | 'uid' | 'int';

export interface AttributeDef {
  keyword: string;
  /** 8 uppercase hex digits, as DICOM JSON keys them (PS3.18 §F.2.1.1). */
  tag: string;
  vr: string;
  level: Level;
  /** A column of the filtered rows: p (patient), st (study), se (series), i (instance). */
  column?: string;
  /** Computed for each returned row only (counts); refers to the row's ids q._st and q._se. */
  derived?: string;
  /** Filled in by the formatter (RetrieveURL, InstanceAvailability). */
  computed?: 'retrieveUrl' | 'online';
  match?: MatchKind;
  /** Matching goes through a related table: `EXISTS (SELECT 1 FROM <from> WHERE <link> AND <column> ...)`. */
  via?: { from: string; link: string; column: string };
  /** Search levels that return this attribute without being asked (PS3.18 Tables 10.6.3-3/-4/-5). */
  defaultAt: readonly Level[];
}

const ALL: readonly Level[] = ['study', 'series', 'instance'];

/** In ascending tag order. */
export const ATTRIBUTES: readonly AttributeDef[] = [
  { keyword: 'SOPClassUID', tag: '00080016', vr: 'UI', level: 'instance', column: 'i.sop_class_uid', match: 'uid', defaultAt: ['instance'] },
  { keyword: 'SOPInstanceUID', tag: '00080018', vr: 'UI', level: 'instance', column: 'i.sop_instance_uid', match: 'uid', defaultAt: ['instance'] },
  { keyword: 'StudyDate', tag: '00080020', vr: 'DA', level: 'study', column: 'st.study_date', match: 'date', defaultAt: ['study'] },
  { keyword: 'SeriesDate', tag: '00080021', vr: 'DA', level: 'series', column: 'se.series_date', match: 'date', defaultAt: ['series'] },
  { keyword: 'StudyTime', tag: '00080030', vr: 'TM', level: 'study', column: 'st.study_time', match: 'time', defaultAt: ['study'] },
  { keyword: 'SeriesTime', tag: '00080031', vr: 'TM', level: 'series', column: 'se.series_time', match: 'time', defaultAt: ['series'] },
  { keyword: 'AccessionNumber', tag: '00080050', vr: 'SH', level: 'study', column: 'st.accession_number', match: 'text', defaultAt: ['study'] },
  { keyword: 'InstanceAvailability', tag: '00080056', vr: 'CS', level: 'study', computed: 'online', defaultAt: ALL },
  { keyword: 'Modality', tag: '00080060', vr: 'CS', level: 'series', column: 'se.modality', match: 'code', defaultAt: ['series', 'instance'] },
  {
    keyword: 'ModalitiesInStudy',
    tag: '00080061',
    vr: 'CS',
    level: 'study',
    derived: "(SELECT string_agg(DISTINCT x.modality, ',' ORDER BY x.modality) FROM series x WHERE x.study_fk = q._st)",
    match: 'code',
    via: { from: 'series x', link: 'x.study_fk = st.id', column: 'x.modality' },
    defaultAt: ['study'],
  },
  { keyword: 'ReferringPhysicianName', tag: '00080090', vr: 'PN', level: 'study', column: 'st.referring_physician_name', match: 'pn', defaultAt: ['study'] },
  { keyword: 'StationName', tag: '00081010', vr: 'SH', level: 'series', column: 'se.station_name', match: 'text', defaultAt: ['series'] },
  { keyword: 'StudyDescription', tag: '00081030', vr: 'LO', level: 'study', column: 'st.study_description', match: 'text', defaultAt: ['study'] },
  { keyword: 'SeriesDescription', tag: '0008103E', vr: 'LO', level: 'series', column: 'se.series_description', match: 'text', defaultAt: ['series'] },
  { keyword: 'RetrieveURL', tag: '00081190', vr: 'UR', level: 'study', computed: 'retrieveUrl', defaultAt: ALL },
  { keyword: 'AvailableTransferSyntaxUID', tag: '00083002', vr: 'UI', level: 'instance', column: 'i.transfer_syntax_uid', defaultAt: [] },
  { keyword: 'PatientName', tag: '00100010', vr: 'PN', level: 'study', column: 'p.patient_name', match: 'pn', defaultAt: ['study'] },
  { keyword: 'PatientID', tag: '00100020', vr: 'LO', level: 'study', column: 'p.patient_id', match: 'text', defaultAt: ['study'] },
  { keyword: 'IssuerOfPatientID', tag: '00100021', vr: 'LO', level: 'study', column: 'p.issuer', match: 'text', defaultAt: [] },
  { keyword: 'PatientBirthDate', tag: '00100030', vr: 'DA', level: 'study', column: 'p.birth_date', match: 'date', defaultAt: ['study'] },
  { keyword: 'PatientSex', tag: '00100040', vr: 'CS', level: 'study', column: 'p.sex', match: 'code', defaultAt: ['study'] },
  { keyword: 'BodyPartExamined', tag: '00180015', vr: 'CS', level: 'series', column: 'se.body_part_examined', match: 'code', defaultAt: ['series'] },
  { keyword: 'ProtocolName', tag: '00181030', vr: 'LO', level: 'series', column: 'se.protocol_name', match: 'text', defaultAt: ['series'] },
  { keyword: 'StudyInstanceUID', tag: '0020000D', vr: 'UI', level: 'study', column: 'st.study_instance_uid', match: 'uid', defaultAt: ALL },
  { keyword: 'SeriesInstanceUID', tag: '0020000E', vr: 'UI', level: 'series', column: 'se.series_instance_uid', match: 'uid', defaultAt: ['series', 'instance'] },
  { keyword: 'StudyID', tag: '00200010', vr: 'SH', level: 'study', column: 'st.study_id', match: 'text', defaultAt: ['study'] },
  { keyword: 'SeriesNumber', tag: '00200011', vr: 'IS', level: 'series', column: 'se.series_number', match: 'int', defaultAt: ['series'] },
  { keyword: 'InstanceNumber', tag: '00200013', vr: 'IS', level: 'instance', column: 'i.instance_number', match: 'int', defaultAt: ['instance'] },
  { keyword: 'NumberOfStudyRelatedSeries', tag: '00201206', vr: 'IS', level: 'study', derived: '(SELECT count(*) FROM series x WHERE x.study_fk = q._st)', defaultAt: ['study'] },
  {
    keyword: 'NumberOfStudyRelatedInstances',
    tag: '00201208',
    vr: 'IS',
    level: 'study',
    // Per series through instance_series_idx: a join here may be planned as a scan of every instance.
    derived: '(SELECT coalesce(sum((SELECT count(*) FROM instance y WHERE y.series_fk = x.id)), 0) FROM series x WHERE x.study_fk = q._st)',
    defaultAt: ['study'],
  },
  { keyword: 'NumberOfSeriesRelatedInstances', tag: '00201209', vr: 'IS', level: 'series', derived: '(SELECT count(*) FROM instance y WHERE y.series_fk = q._se)', defaultAt: ['series'] },
  { keyword: 'NumberOfFrames', tag: '00280008', vr: 'IS', level: 'instance', column: 'i.number_of_frames', defaultAt: ['instance'] },
  { keyword: 'Rows', tag: '00280010', vr: 'US', level: 'instance', column: 'i.rows', match: 'int', defaultAt: ['instance'] },
  { keyword: 'Columns', tag: '00280011', vr: 'US', level: 'instance', column: 'i.columns', match: 'int', defaultAt: ['instance'] },
];

const BY_KEYWORD = new Map(ATTRIBUTES.map((a) => [a.keyword.toLowerCase(), a]));
const BY_TAG = new Map(ATTRIBUTES.map((a) => [a.tag, a]));

/** Looks an attribute up by keyword (as PS3.6 spells it; case-insensitive) or by 8 hex digit tag. */
export function findAttribute(key: string): AttributeDef | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(key)) return BY_TAG.get(key.toUpperCase());
  return BY_KEYWORD.get(key.toLowerCase());
}
