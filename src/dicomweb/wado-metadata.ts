/**
 * WADO-RS Retrieve Metadata (PS3.18 §10.4, Metadata resources): the DICOM JSON (PS3.18 §F.2) of every instance
 * in scope. Pixel Data and binary values over 1 KiB become BulkDataURIs (see tag-path.ts) under
 * `{wadoRoot}/studies/{study}/series/{series}/instances/{sop}/bulkdata/`. Only the bytes before
 * Pixel Data are read (plus whatever follows native Pixel Data), a few files at a time.
 *
 * Available Transfer Syntax UID (0008,3002) (PS3.6) is added with the stored
 * syntax, so a viewer knows what the frames will be encoded in.
 */
import type { Archive } from '../archive/archive.js';
import type { InstanceScope, StoredInstance } from '../archive/index-queries.js';
import { sorted, type DicomJson } from '../dicom/dicom-json.js';
import { datasetToJson } from '../dicom/dicom-json-writer.js';
import { instancesInScope } from './wado-instances.js';
import { readInstance } from './wado-source.js';

const CONCURRENCY = 16;
const AVAILABLE_TRANSFER_SYNTAX_UID = '00083002';

export async function retrieveMetadata(archive: Archive, scope: InstanceScope, wadoRoot: string): Promise<DicomJson[]> {
  const rows = await instancesInScope(archive, scope);
  const out: DicomJson[] = new Array(rows.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < rows.length) {
      const i = next++;
      out[i] = await instanceMetadata(archive, rows[i]!, wadoRoot);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rows.length) }, worker));
  return out;
}

/** The DICOM JSON of one stored instance. */
export async function instanceMetadata(archive: Archive, row: StoredInstance, wadoRoot: string): Promise<DicomJson> {
  const base = `${wadoRoot}/studies/${row.studyInstanceUid}/series/${row.seriesInstanceUid}/instances/${row.sopInstanceUid}/bulkdata/`;
  const bulkDataUri = (tagPath: string): string => base + tagPath;
  const { header, readAt, size } = await readInstance(archive, row);
  const top = datasetToJson(header.data, header.start, header.data.length, header.syntax, { bulkDataUri });
  const px = top.pixelData;
  if (top.stoppedAtPixelData && px && px.length >= 0 && px.valueOffset + px.length < size) {
    // Attributes after native Pixel Data (rare: (FFFA,FFFA) Digital Signatures Sequence).
    const from = px.valueOffset + px.length;
    const tail = await readAt(from, size - from);
    const rest = datasetToJson(tail, 0, tail.length, header.syntax, { bulkDataUri, specificCharacterSet: top.specificCharacterSet });
    Object.assign(top.json, rest.json);
  }
  if (!top.json[AVAILABLE_TRANSFER_SYNTAX_UID]) {
    top.json[AVAILABLE_TRANSFER_SYNTAX_UID] = { vr: 'UI', Value: [row.transferSyntaxUid] };
    return sorted(top.json);
  }
  return top.json;
}
