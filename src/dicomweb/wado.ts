import type { Archive } from '../archive/archive.js';
import type { DicomJson } from '../dicom/dicom-json.js';
import { httpError } from '../http/errors.js';

/** WADO-RS (PS3.18 §10.4). Placeholder: being written. */
export interface WadoScope {
  studyUid: string;
  seriesUid?: string;
  sopUid?: string;
}

export interface WadoResult {
  status?: number;
  contentType: string;
  body: AsyncIterable<Buffer> | Buffer;
  headers?: Record<string, string>;
}

export async function retrieveInstances(_archive: Archive, _scope: WadoScope, _accept: string): Promise<WadoResult> {
  throw httpError('not_found', 'WADO-RS is not implemented yet');
}

export async function retrieveMetadata(_archive: Archive, _scope: WadoScope, _wadoRoot: string): Promise<DicomJson[]> {
  throw httpError('not_found', 'WADO-RS is not implemented yet');
}

export async function retrieveFrames(_archive: Archive, _scope: Required<WadoScope>, _frames: string, _accept: string): Promise<WadoResult> {
  throw httpError('not_found', 'WADO-RS is not implemented yet');
}

export async function retrieveBulkdata(_archive: Archive, _scope: Required<WadoScope>, _tagPath: string, _accept: string, _range?: string): Promise<WadoResult> {
  throw httpError('not_found', 'WADO-RS is not implemented yet');
}
