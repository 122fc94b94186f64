/**
 * WADO-RS Retrieve Study / Series / Instance (PS3.18 §10.4, Instance resources): the stored Part 10 files,
 * unchanged, as `multipart/related; type="application/dicom"`, one part per instance
 * (PS3.18 §8.7.3, multipart/related), streamed from the blob store one file at a time.
 */
import type { Archive } from '../archive/archive.js';
import { findInstances, type InstanceScope, type StoredInstance } from '../archive/index-queries.js';
import { formatMediaType } from '../dicom/media-type.js';
import { multipartStream, newBoundary, type MultipartOutPart } from '../dicom/multipart-write.js';
import { httpError } from '../http/errors.js';
import { negotiateOr406, type Rendition } from './wado-accept.js';
import type { WadoResult } from './wado-types.js';
import { describeSyntax } from '../dicom/transfer-syntax-names.js';

/** Instances are sent as stored; an Accept without transfer-syntax gets them as stored too. */
function instanceRendition(transferSyntaxUid: string): Rendition {
  return { type: 'application/dicom', syntaxes: [transferSyntaxUid], bareOk: true };
}

/** The instances in scope, or 404 naming the level that matched nothing. */
export async function instancesInScope(archive: Archive, scope: InstanceScope): Promise<StoredInstance[]> {
  const rows = await findInstances(archive.db, scope);
  if (rows.length === 0) {
    const what = scope.sopUid ? 'instance' : scope.seriesUid ? 'series' : 'study';
    throw httpError('not_found', `no such ${what} in this node's archive`);
  }
  return rows;
}

export async function retrieveInstances(archive: Archive, scope: InstanceScope, accept: string): Promise<WadoResult> {
  const rows = await instancesInScope(archive, scope);
  // Every stored syntax must be acceptable: a partial answer would look like a complete one.
  for (const ts of new Set(rows.map((r) => r.transferSyntaxUid))) {
    negotiateOr406(accept, [instanceRendition(ts)], `an instance in scope is stored as ${describeSyntax(ts)}`);
  }
  const boundary = newBoundary();
  async function* parts(): AsyncGenerator<MultipartOutPart> {
    for (const row of rows) {
      yield {
        headers: {
          'Content-Type': formatMediaType('application/dicom', { 'transfer-syntax': row.transferSyntaxUid }),
          'Content-Length': String(row.size),
        },
        // Opened only when the part is reached, so one file is open at a time.
        body: archive.blobs.stream(row.sha256),
      };
    }
  }
  return {
    contentType: formatMediaType('multipart/related', { type: 'application/dicom', boundary }),
    body: multipartStream(parts(), boundary),
  };
}
