import type { Archive } from '../archive/archive.js';
import { IngestSession, type StoreResult } from '../archive/ingest.js';
import { InstanceRejected } from '../archive/instance-record.js';
import { put, sequence, sorted, type DicomJson } from '../dicom/dicom-json.js';
import { MediaTypeError, parseMediaType } from '../dicom/media-type.js';
import { MultipartError, readMultipart } from '../dicom/multipart.js';
import { FailureReason } from '../dicom/status.js';
import { httpError } from '../http/errors.js';

/** STOW-RS (PS3.18 §10.5): store instances sent as multipart/related; type="application/dicom". */
export interface StowRequest {
  contentType: string;
  contentLength?: number;
  /** The request body as it arrives; read once, with backpressure. */
  body: AsyncIterable<Buffer>;
  studyUid?: string;
  /** Base URL of the node's DICOMweb root, for RetrieveURLs (no trailing slash). */
  wadoRoot: string;
}

export interface StowResponse {
  status: number;
  body: DicomJson;
  results: StoreResult[];
  /** The request body broke off (client disconnect / truncation): nobody may be listening. */
  aborted: boolean;
}

export interface StowLimits {
  maxRequestBytes: number;
  maxInstanceBytes: number;
  writeConcurrency: number;
}

export async function stow(archive: Archive, req: StowRequest, limits: StowLimits): Promise<StowResponse> {
  const boundary = checkMediaType(req.contentType);
  if (req.contentLength !== undefined && req.contentLength > limits.maxRequestBytes) {
    throw httpError('payload_too_large', `the request body (${req.contentLength} bytes) exceeds the configured limit of ${limits.maxRequestBytes} bytes`);
  }
  const disk = await archive.disk();
  if (disk.full) {
    throw httpError('storage_full', `the node's storage is above its watermark (${disk.freeBytes} bytes free); try again later`, { 'Retry-After': '300' });
  }
  const session = new IngestSession(archive, {
    expectedStudyUid: req.studyUid,
    maxInstanceBytes: limits.maxInstanceBytes,
    concurrency: limits.writeConcurrency,
  });
  let aborted = false;
  let tooLarge = false;
  let parts = 0;
  try {
    for await (const part of readMultipart(limitBytes(req.body, limits.maxRequestBytes, () => (tooLarge = true)), boundary)) {
      parts++;
      const type = part.headers['content-type'];
      if (type !== undefined && !isApplicationDicom(type)) {
        await part.skip();
        session.reject(new InstanceRejected(`part ${parts} has media type "${type.slice(0, 100)}"; only application/dicom is accepted (PS3.18 §10.5.1)`, FailureReason.cannotUnderstand));
        continue;
      }
      await session.add(failAsIncomplete(part.body));
    }
  } catch (err) {
    if (tooLarge) {
      await session.abort();
      throw httpError('payload_too_large', `the request body exceeds the configured limit of ${limits.maxRequestBytes} bytes; instances received before the limit were kept`);
    }
    if (err instanceof MultipartError && err.code !== 'truncated' && parts === 0) {
      await session.abort();
      throw httpError('bad_request', `the body is not valid multipart/related: ${err.message}`);
    }
    // The body broke off mid-part: keep what arrived whole, report the rest as failed.
    aborted = true;
    archive.log.warn({ reason: err instanceof Error ? err.message : String(err) }, 'STOW-RS body ended early');
  }
  const results = await session.finish();
  return { ...buildResponse(results, req), results, aborted };
}

/** A part whose body breaks off (disconnect, truncation, size limit) was not received whole. */
async function* failAsIncomplete(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* body;
  } catch (err) {
    const why = err instanceof MultipartError ? err.message : 'the connection broke';
    throw new InstanceRejected(`the request body ended inside this part (${why}); it was not stored`, FailureReason.cannotUnderstand);
  }
}

function checkMediaType(contentType: string): string {
  let mt;
  try {
    mt = parseMediaType(contentType);
  } catch (err) {
    if (err instanceof MediaTypeError) throw httpError('unsupported_media_type', `Content-Type is not valid: ${err.message}`);
    throw err;
  }
  if (mt.type !== 'multipart/related') {
    throw httpError('unsupported_media_type', `STOW-RS takes multipart/related; type="application/dicom" (PS3.18 §10.5.1.1), not ${mt.type}`);
  }
  const type = mt.params.type;
  if (type !== undefined && type.toLowerCase() !== 'application/dicom') {
    throw httpError('unsupported_media_type', `multipart/related type "${type}" is not supported; this node stores application/dicom parts`);
  }
  if (!mt.params.boundary) throw httpError('bad_request', 'multipart/related without a boundary parameter (RFC 2046 §5.1.1)');
  return mt.params.boundary;
}

function isApplicationDicom(value: string): boolean {
  try {
    return parseMediaType(value).type === 'application/dicom';
  } catch {
    return false;
  }
}

/** Passes the body through, failing once more than `max` bytes arrived (413, PS3.18 §8.6.3). */
async function* limitBytes(body: AsyncIterable<Buffer>, max: number, onExceeded: () => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > max) {
      onExceeded();
      throw new Error('request body over the size limit');
    }
    yield chunk;
  }
}

/** The Store Instances Response Module (PS3.18 §10.5.3, Table 10.5.3-1) and the HTTP status. */
function buildResponse(results: StoreResult[], req: StowRequest): { status: number; body: DicomJson } {
  const referenced: DicomJson[] = [];
  const failed: DicomJson[] = [];
  const studies = new Set<string>();
  for (const r of results) {
    if (r.status === 'stored') {
      const { studyInstanceUid: st, seriesInstanceUid: se, sopInstanceUid: sop, sopClassUid } = r.record;
      studies.add(st);
      const item: DicomJson = {};
      put(item, '00081150', 'UI', sopClassUid);
      put(item, '00081155', 'UI', sop);
      put(item, '00081190', 'UR', `${req.wadoRoot}/studies/${st}/series/${se}/instances/${sop}`);
      referenced.push(sorted(item));
    } else {
      const item: DicomJson = {};
      put(item, '00081150', 'UI', r.sopClassUid ?? null);
      put(item, '00081155', 'UI', r.sopInstanceUid ?? null);
      put(item, '00081197', 'US', r.reason);
      // The reason as text, in a private block (PS3.5 §7.8.1) so clients and admins see why.
      put(item, '00090010', 'LO', 'DAFNE NODE');
      put(item, '00091001', 'LT', r.message);
      failed.push(sorted(item));
    }
  }
  const body: DicomJson = {};
  if (studies.size === 1) put(body, '00081190', 'UR', `${req.wadoRoot}/studies/${[...studies][0]}`);
  if (failed.length) sequence(body, '00081198', failed);
  if (referenced.length) sequence(body, '00081199', referenced);
  let status: number;
  if (results.length === 0) {
    status = 400;
    sequence(body, '00081198', []);
  } else if (failed.length === 0) status = 200;
  else if (referenced.length > 0) status = 202;
  else {
    const reasons = new Set(results.map((r) => (r.status === 'failed' ? r.reason : 0)));
    const mismatch = req.studyUid !== undefined && results.every((r) => r.status === 'failed' && r.reason === FailureReason.dataSetMismatch && /request URL/.test(r.message));
    status = mismatch ? 409 : reasons.size === 1 && reasons.has(FailureReason.outOfResources) ? 413 : 400;
  }
  return { status, body: sorted(body) };
}
