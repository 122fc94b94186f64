/**
 * The numbers of a result for the console (issue 18 item 3): its current measurement report (the
 * latest correction's, else the AI result's) and the same patient's earlier results of the same
 * model, for the longitudinal plot. Read from `result_measurement`, written with each SR
 * (derived-store.ts), so the console never decodes DICOM to show a number.
 */
import type { Database } from '../db/data-source.js';
import type { SegmentMeasurement } from '../sr/measurements.js';

export interface ReportNumbers {
  resultId: string;
  studyInstanceUid: string;
  sourceSeriesInstanceUid: string;
  modelId: string;
  generation: number;
  /** Study Date (DA, YYYYMMDD) of the result's study, '' when the source had none. */
  studyDate: string;
  /** 'corrected': the reader's corrected SEG; 'ai': the model's SEG. */
  source: 'ai' | 'corrected';
  srSopInstanceUid: string;
  /** Why there is (or is no) fat fraction. */
  dixonNote: string | null;
  segments: SegmentMeasurement[];
}

interface Row {
  result_id: string | number;
  study: string;
  source_series: string;
  model_id: string;
  generation: number;
  study_date: string | null;
  review_id: string | number | null;
  sr: string;
  measurements: SegmentMeasurement[] | string;
  dixon: { note?: string } | string | null;
  patient_fk: string | number | null;
}

// The best report per result: the one of its latest review (a correction), else the AI one.
const REPORTS = `
  SELECT DISTINCT ON (m.ai_result_id) m.ai_result_id AS result_id, a.study_instance_uid AS study, a.source_series_instance_uid AS source_series,
         a.model_id, a.generation, st.study_date, m.review_id, m.sr_sop_instance_uid AS sr, m.measurements, m.dixon, st.patient_fk
    FROM result_measurement m JOIN ai_result a ON a.id = m.ai_result_id LEFT JOIN study st ON st.study_instance_uid = a.study_instance_uid`;
const BEST = 'ORDER BY m.ai_result_id, m.review_id DESC NULLS LAST, m.id DESC';

const parse = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function toNumbers(r: Row): ReportNumbers {
  const dixon = r.dixon === null ? null : parse(r.dixon);
  return {
    resultId: String(r.result_id),
    studyInstanceUid: r.study,
    sourceSeriesInstanceUid: r.source_series,
    modelId: r.model_id,
    generation: Number(r.generation),
    studyDate: r.study_date ?? '',
    source: r.review_id === null ? 'ai' : 'corrected',
    srSopInstanceUid: r.sr,
    dixonNote: dixon?.note ?? null,
    segments: parse(r.measurements),
  };
}

/** The result's numbers and its patient's results of the same model (current one included), oldest study first. */
export async function resultMeasurements(db: Database, resultId: string): Promise<{ current: ReportNumbers; history: ReportNumbers[] } | undefined> {
  const [row] = (await db.dataSource.query(`${REPORTS} WHERE m.ai_result_id = $1 ${BEST}`, [resultId])) as Row[];
  if (!row) return undefined;
  const current = toNumbers(row);
  if (row.patient_fk === null) return { current, history: [current] };
  const rows = (await db.dataSource.query(
    `SELECT * FROM (${REPORTS} WHERE st.patient_fk = $1 AND a.model_id = $2 AND (a.superseded_by IS NULL OR a.id = $3) ${BEST}) x
      ORDER BY coalesce(x.study_date, ''), x.result_id LIMIT 200`,
    [row.patient_fk, row.model_id, resultId],
  )) as Row[];
  return { current, history: rows.map(toNumbers) };
}
