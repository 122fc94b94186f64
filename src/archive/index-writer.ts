import type { EntityManager } from 'typeorm';
import { FailureReason } from '../dicom/status.js';
import { InstanceRejected, type InstanceRecord } from './instance-record.js';

/** One instance whose blob is in place, waiting for its index row. */
export interface PendingInstance {
  record: InstanceRecord;
  sha256: string;
  size: number;
}

export type IndexOutcome = { status: 'stored' | 'already-stored' } | { status: 'rejected'; error: InstanceRejected };

const reject = (p: PendingInstance, reason: number, message: string): IndexOutcome => ({
  status: 'rejected',
  error: new InstanceRejected(message, reason as never, p.record.sopClassUid, p.record.sopInstanceUid),
});

/**
 * Indexes a batch of instances in one transaction (the caller's manager). Identical re-sends are
 * successes; a different object under a stored SOP Instance UID, a series already filed under
 * another study, or a study already filed under another patient are refused, never merged
 * silently. Returns one outcome per input, in order.
 */
export async function indexBatch(m: EntityManager, batch: PendingInstance[]): Promise<IndexOutcome[]> {
  const outcomes: (IndexOutcome | undefined)[] = new Array(batch.length);
  const bySop = new Map<string, number>();
  batch.forEach((p, i) => {
    const prev = bySop.get(p.record.sopInstanceUid);
    if (prev !== undefined) {
      // The same UID twice in one request: identical bytes are one instance, else a conflict.
      outcomes[i] = batch[prev]!.sha256 === p.sha256 ? { status: 'already-stored' } : reject(p, FailureReason.duplicateSopInstance, 'the request carries two different objects with this SOP Instance UID');
    } else bySop.set(p.record.sopInstanceUid, i);
  });

  const existing = await m.query('SELECT sop_instance_uid AS uid, sha256 FROM instance WHERE sop_instance_uid = ANY($1)', [[...bySop.keys()]]);
  for (const row of existing as { uid: string; sha256: string }[]) {
    const i = bySop.get(row.uid)!;
    outcomes[i] = row.sha256 === batch[i]!.sha256 ? { status: 'already-stored' } : reject(batch[i]!, FailureReason.duplicateSopInstance, 'a different object is already stored under this SOP Instance UID; the stored one is kept (delete it first to replace it)');
  }

  const todo = () => batch.map((p, i) => ({ p, i })).filter(({ i }) => outcomes[i] === undefined);
  const patientKey = (r: InstanceRecord): string => `${r.issuer ?? ''}\\${r.patientId}`;

  // Consistency with what is stored: a study keeps its patient, a series keeps its study.
  const studyUids = [...new Set(todo().map(({ p }) => p.record.studyInstanceUid))];
  const studies = (await m.query('SELECT s.study_instance_uid AS uid, p.patient_key AS key FROM study s JOIN patient p ON p.id = s.patient_fk WHERE s.study_instance_uid = ANY($1)', [studyUids])) as { uid: string; key: string }[];
  const studyPatient = new Map(studies.map((s) => [s.uid, s.key]));
  const seriesUids = [...new Set(todo().map(({ p }) => p.record.seriesInstanceUid))];
  const seriesRows = (await m.query('SELECT se.series_instance_uid AS uid, st.study_instance_uid AS study FROM series se JOIN study st ON st.id = se.study_fk WHERE se.series_instance_uid = ANY($1)', [seriesUids])) as { uid: string; study: string }[];
  const seriesStudy = new Map(seriesRows.map((s) => [s.uid, s.study]));
  for (const { p, i } of todo()) {
    const key = studyPatient.get(p.record.studyInstanceUid);
    if (key !== undefined && key !== patientKey(p.record)) {
      outcomes[i] = reject(p, FailureReason.dataSetMismatch, 'this study is already stored under a different PatientID / IssuerOfPatientID');
      continue;
    }
    const study = seriesStudy.get(p.record.seriesInstanceUid);
    if (study !== undefined && study !== p.record.studyInstanceUid) {
      outcomes[i] = reject(p, FailureReason.dataSetMismatch, 'this series is already stored under a different StudyInstanceUID');
    }
  }

  const rest = todo();
  if (rest.length > 0) {
    const patients = new Map<string, InstanceRecord>();
    const studiesNew = new Map<string, InstanceRecord>();
    const seriesNew = new Map<string, InstanceRecord>();
    for (const { p } of rest) {
      patients.set(patientKey(p.record), p.record);
      studiesNew.set(p.record.studyInstanceUid, p.record);
      seriesNew.set(p.record.seriesInstanceUid, p.record);
    }
    const pr = [...patients.entries()];
    await m.query(
      `INSERT INTO patient (patient_key, patient_id, issuer, patient_name, birth_date, sex)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
       ON CONFLICT (patient_key) DO UPDATE SET patient_name = EXCLUDED.patient_name, birth_date = EXCLUDED.birth_date, sex = EXCLUDED.sex`,
      [pr.map(([k]) => k), pr.map(([, r]) => r.patientId), pr.map(([, r]) => r.issuer), pr.map(([, r]) => r.patientName), pr.map(([, r]) => r.birthDate), pr.map(([, r]) => r.sex)],
    );
    const st = [...studiesNew.values()];
    await m.query(
      `INSERT INTO study (study_instance_uid, patient_fk, study_date, study_time, accession_number, study_id, study_description, referring_physician_name)
       SELECT u.uid, p.id, u.d, u.t, u.acc, u.sid, u.descr, u.ref
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS u(uid, pkey, d, t, acc, sid, descr, ref)
       JOIN patient p ON p.patient_key = u.pkey
       ON CONFLICT (study_instance_uid) DO UPDATE SET updated_at = now()`,
      [st.map((r) => r.studyInstanceUid), st.map(patientKey), st.map((r) => r.studyDate), st.map((r) => r.studyTime), st.map((r) => r.accessionNumber), st.map((r) => r.studyId), st.map((r) => r.studyDescription), st.map((r) => r.referringPhysicianName)],
    );
    const se = [...seriesNew.values()];
    await m.query(
      `INSERT INTO series (series_instance_uid, study_fk, modality, series_number, series_description, body_part_examined, protocol_name, station_name, series_date, series_time)
       SELECT u.uid, s.id, u.modality, u.num, u.descr, u.body, u.proto, u.station, u.d, u.t
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) AS u(uid, study, modality, num, descr, body, proto, station, d, t)
       JOIN study s ON s.study_instance_uid = u.study
       ON CONFLICT (series_instance_uid) DO UPDATE SET last_instance_at = now()`,
      [se.map((r) => r.seriesInstanceUid), se.map((r) => r.studyInstanceUid), se.map((r) => r.modality), se.map((r) => r.seriesNumber), se.map((r) => r.seriesDescription), se.map((r) => r.bodyPartExamined), se.map((r) => r.protocolName), se.map((r) => r.stationName), se.map((r) => r.seriesDate), se.map((r) => r.seriesTime)],
    );
    const rs = rest.map(({ p }) => p);
    const inserted = (await m.query(
      `INSERT INTO instance (sop_instance_uid, series_fk, sop_class_uid, instance_number, rows, columns, number_of_frames, transfer_syntax_uid, sha256, size, pixel_data_offset)
       SELECT u.uid, se.id, u.cls, u.num, u.r, u.c, u.f, u.ts, u.sha, u.size, u.pix
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[], $8::text[], $9::text[], $10::bigint[], $11::bigint[]) AS u(uid, series, cls, num, r, c, f, ts, sha, size, pix)
       JOIN series se ON se.series_instance_uid = u.series
       ON CONFLICT (sop_instance_uid) DO NOTHING
       RETURNING sop_instance_uid AS uid`,
      [rs.map((p) => p.record.sopInstanceUid), rs.map((p) => p.record.seriesInstanceUid), rs.map((p) => p.record.sopClassUid), rs.map((p) => p.record.instanceNumber), rs.map((p) => p.record.rows), rs.map((p) => p.record.columns), rs.map((p) => p.record.numberOfFrames), rs.map((p) => p.record.transferSyntaxUid), rs.map((p) => p.sha256), rs.map((p) => String(p.size)), rs.map((p) => (p.record.pixelDataOffset === null ? null : String(p.record.pixelDataOffset)))],
    )) as { uid: string }[];
    const done = new Set(inserted.map((r) => r.uid));
    const raced: number[] = [];
    for (const { p, i } of rest) {
      if (done.has(p.record.sopInstanceUid)) outcomes[i] = { status: 'stored' };
      else raced.push(i);
    }
    if (raced.length > 0) {
      // Another request stored the same UID between our check and insert (real PostgreSQL only).
      const again = (await m.query('SELECT sop_instance_uid AS uid, sha256 FROM instance WHERE sop_instance_uid = ANY($1)', [raced.map((i) => batch[i]!.record.sopInstanceUid)])) as { uid: string; sha256: string }[];
      const sha = new Map(again.map((r) => [r.uid, r.sha256]));
      for (const i of raced) {
        const p = batch[i]!;
        outcomes[i] = sha.get(p.record.sopInstanceUid) === p.sha256 ? { status: 'already-stored' } : reject(p, FailureReason.duplicateSopInstance, 'a different object was stored under this SOP Instance UID concurrently');
      }
    }
  }
  return outcomes.map((o) => o!);
}
