import type { Archive } from '../archive/archive.js';
import type { DicomJson } from '../dicom/dicom-json.js';
import { httpError } from '../http/errors.js';

/** QIDO-RS (PS3.18 §10.6). Placeholder: being written. */
export type QidoLevel = 'studies' | 'series' | 'instances';

export interface QidoOptions {
  defaultLimit: number;
  maxLimit: number;
  /** DICOMweb root URL for RetrieveURL (0008,1190) values, no trailing slash. */
  wadoRoot: string;
}

export async function qido(_archive: Archive, _level: QidoLevel, _scope: { studyUid?: string; seriesUid?: string }, _query: URLSearchParams, _opts: QidoOptions): Promise<DicomJson[]> {
  throw httpError('not_found', 'QIDO-RS is not implemented yet');
}
