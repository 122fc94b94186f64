import type { Destination } from './destination-store.js';

/**
 * What one attempt to delete a superseded SEG at a destination came to: `removed` (deleted, or
 * already gone: deleting is idempotent), `retry` (network error, timeout, 5xx / 408 / 429) or
 * `refused` (the destination will not delete it, e.g. 403 / 405: retrying cannot help).
 */
export type RemoveOutcome = { kind: 'removed'; status: number; detail: string } | { kind: 'retry' | 'refused'; status: number; reason: string };

/** The instance to delete, as the archive index knows it. */
export interface RemoveTarget {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

type Auth = Destination['auth'];

function authHeader(a: Auth): Record<string, string> {
  if (a?.type === 'basic') return { Authorization: `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}` };
  if (a?.type === 'bearer') return { Authorization: `Bearer ${a.token}` };
  return {};
}

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; text: string } | { status: 0; error: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { status: 0, error: (err as Error).message };
  }
}

const failure = (what: string, r: { status: number; text?: string; error?: string }): RemoveOutcome => {
  if (r.status === 0) return { kind: 'retry', status: 0, reason: `${what}: network error: ${r.error ?? 'no answer'}` };
  const reason = `${what}: HTTP ${r.status}${r.text ? `: ${r.text.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
  return r.status >= 500 || r.status === 408 || r.status === 429 ? { kind: 'retry', status: r.status, reason } : { kind: 'refused', status: r.status, reason };
};

/**
 * Deletes one instance at a destination configured with `removeSuperseded` (destination-store.ts).
 * Orthanc: the SOP Instance UID → Orthanc id by POST /tools/lookup, then DELETE /instances/{id}
 * (Orthanc Book, REST API). DICOMweb: DELETE on the instance resource
 * {url}/studies/{study}/series/{series}/instances/{sop}; PS3.18 defines no delete transaction, so
 * only servers that offer it (dcm4chee-arc, Google Cloud Healthcare) accept it.
 */
export async function removeInstance(d: Destination, t: RemoveTarget): Promise<RemoveOutcome> {
  const how = d.removeSuperseded;
  const timeoutMs = d.timeoutSeconds * 1000;
  if (!how) return { kind: 'refused', status: 0, reason: `destination ${d.name} has no removeSuperseded: it cannot delete` };
  if (how.via === 'orthanc') {
    const root = how.url.replace(/\/+$/, '');
    const headers = authHeader(how.auth ?? d.auth);
    const look = await call(`${root}/tools/lookup`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: t.sopInstanceUid }, timeoutMs);
    if (look.status !== 200) return failure('Orthanc lookup', look);
    let hits: { ID?: string; Type?: string }[] = [];
    try {
      hits = JSON.parse('text' in look ? look.text : '[]') as typeof hits;
    } catch {
      return { kind: 'retry', status: 200, reason: 'Orthanc lookup: the answer is not JSON' };
    }
    const inst = hits.find((h) => h.Type === 'Instance' && h.ID);
    if (!inst) return { kind: 'removed', status: 200, detail: 'not at the destination (already deleted)' };
    const del = await call(`${root}/instances/${encodeURIComponent(inst.ID!)}`, { method: 'DELETE', headers }, timeoutMs);
    if (del.status === 404) return { kind: 'removed', status: 404, detail: 'already deleted' };
    if (del.status >= 200 && del.status < 300) return { kind: 'removed', status: del.status, detail: `deleted by Orthanc REST (instance ${inst.ID})` };
    return failure('Orthanc DELETE', del);
  }
  const root = d.url!.replace(/\/+$/, '');
  const path = `/studies/${t.studyInstanceUid}/series/${t.seriesInstanceUid}/instances/${t.sopInstanceUid}`;
  const del = await call(`${root}${path}`, { method: 'DELETE', headers: authHeader(d.auth) }, timeoutMs);
  if (del.status === 404) return { kind: 'removed', status: 404, detail: 'already deleted' };
  if (del.status >= 200 && del.status < 300) return { kind: 'removed', status: del.status, detail: 'deleted by DICOMweb DELETE' };
  return failure('DICOMweb DELETE', del);
}
