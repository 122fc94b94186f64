import type { DataElement } from '../dicom/part10-writer.js';
import type { SegSourceAttributes } from './seg-writer.js';
import { T } from './seg-tags.js';

/**
 * A moment as DICOM DA and TM (PS3.5 6.2: YYYYMMDD, HHMMSS.FFF), in UTC like the rest of the
 * node's timestamps: the Content / Series Date and Time of every derived object.
 */
export function dicomDateTime(now: Date): { date: string; time: string } {
  const iso = now.toISOString(); // 2026-11-26T16:27:00.123Z
  return { date: iso.slice(0, 10).replace(/-/g, ''), time: `${iso.slice(11, 19).replace(/:/g, '')}.${iso.slice(20, 23)}` };
}

/**
 * The first modules of every object the node derives from a source series (SEG, SR, SC overlay):
 * SOP Common (PS3.3 C.12.1), Patient (C.7.1.1) and General Study (C.7.2.1), the latter two copied
 * from the source so the derived object files under the source's patient and study (type 2
 * attributes the source lacks are sent empty, never invented).
 */
export function derivedHeader(o: { sopClassUid: string; sopInstanceUid: string; date: string; time: string; source: SegSourceAttributes; studyInstanceUid: string }): DataElement[] {
  const src = o.source;
  return [
    { tag: T.SOPClassUID, vr: 'UI', value: o.sopClassUid },
    { tag: T.SOPInstanceUID, vr: 'UI', value: o.sopInstanceUid },
    { tag: T.InstanceCreationDate, vr: 'DA', value: o.date },
    { tag: T.InstanceCreationTime, vr: 'TM', value: o.time },
    { tag: T.TimezoneOffsetFromUTC, vr: 'SH', value: '+0000' },
    { tag: T.PatientName, vr: 'PN', value: src.PatientName ?? '' },
    { tag: T.PatientID, vr: 'LO', value: src.PatientID ?? '' },
    { tag: T.PatientBirthDate, vr: 'DA', value: src.PatientBirthDate ?? '' },
    { tag: T.PatientSex, vr: 'CS', value: src.PatientSex ?? '' },
    { tag: T.StudyInstanceUID, vr: 'UI', value: o.studyInstanceUid },
    { tag: T.StudyDate, vr: 'DA', value: src.StudyDate ?? '' },
    { tag: T.StudyTime, vr: 'TM', value: src.StudyTime ?? '' },
    { tag: T.ReferringPhysicianName, vr: 'PN', value: src.ReferringPhysicianName ?? '' },
    { tag: T.StudyID, vr: 'SH', value: src.StudyID ?? '' },
    { tag: T.AccessionNumber, vr: 'SH', value: src.AccessionNumber ?? '' },
  ];
}
