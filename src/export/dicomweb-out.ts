import dicomweb from 'dicomweb-client';
import type { Destination } from './destination-store.js';
import { FetchXhr } from './fetch-xhr.js';

const { DICOMwebClient } = dicomweb.api;

/**
 * What one STOW-RS attempt to a destination came to (PS3.18 §10.5.3):
 * - `delivered`: the answer's ReferencedSOPSequence (0008,1199) lists our instance and nothing failed;
 * - `refused`: the destination answered and did not store it (202 / 200 with a FailedSOPSequence
 *   (0008,1198) item, 409, or any other 4xx): retrying the same bytes cannot help → dead-letter;
 * - `retry`: 5xx, 408/429, a network error or a timeout → retried with backoff.
 */
export type StoreOutcome = { kind: 'delivered'; status: number } | { kind: 'refused' | 'retry'; status: number; reason: string };

function client(d: Destination): InstanceType<typeof DICOMwebClient> {
  if (!d.url) throw new Error(`destination ${d.name} is not a DICOMweb destination`);
  const headers: Record<string, string> = {};
  if (d.auth?.type === 'basic') headers.Authorization = `Basic ${Buffer.from(`${d.auth.username}:${d.auth.password}`).toString('base64')}`;
  if (d.auth?.type === 'bearer') headers.Authorization = `Bearer ${d.auth.token}`;
  return new DICOMwebClient({ url: d.url, headers, verbose: false, singlepart: false });
}

type Json = Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }>;

/** STOW-RS of one Part 10 instance through dicomweb-client. */
export async function storeInstance(d: Destination, part10: Buffer, sopInstanceUid: string): Promise<StoreOutcome> {
  const xhr = new FetchXhr(d.timeoutSeconds * 1000);
  const c = client(d);
  const dataset = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer;
  try {
    // One XHR per call, passed as dicomweb-client's `request.instance` (see fetch-xhr.ts).
    await c.storeInstances({ datasets: [dataset], request: { instance: xhr } } as never);
  } catch {
    // Rejected by dicomweb-client: a non-2xx status, or status 0 for a network error.
  }
  const status = xhr.status;
  if (status === 0) return { kind: 'retry', status, reason: `network error: ${xhr.networkError ?? 'no answer'}` };
  const body = parse(xhr.responseText);
  if (status >= 200 && status < 300) {
    const failed = body?.['00081198']?.Value ?? [];
    const mine = failed.find((i) => i['00081155']?.Value?.[0] === sopInstanceUid) ?? failed[0];
    if (mine) {
      const code = mine['00081197']?.Value?.[0];
      const text = mine['00091001']?.Value?.[0];
      return { kind: 'refused', status, reason: `HTTP ${status}: instance failed at the destination, Failure Reason ${code === undefined ? '?' : `0x${Number(code).toString(16).toUpperCase().padStart(4, '0')}`}${text ? ` (${String(text).slice(0, 200)})` : ''}` };
    }
    const referenced = body?.['00081199']?.Value ?? [];
    if (body && !referenced.some((i) => i['00081155']?.Value?.[0] === sopInstanceUid)) {
      return { kind: 'refused', status, reason: `HTTP ${status}: the answer does not list the instance in ReferencedSOPSequence` };
    }
    return { kind: 'delivered', status };
  }
  const snippet = xhr.responseText.replace(/\s+/g, ' ').slice(0, 200);
  if (status >= 500 || status === 408 || status === 429) return { kind: 'retry', status, reason: `HTTP ${status} from the destination${snippet ? `: ${snippet}` : ''}` };
  return { kind: 'refused', status, reason: `HTTP ${status} from the destination${snippet ? `: ${snippet}` : ''}` };
}

/** Connectivity test: a QIDO-RS echo (SearchForStudies with limit=1, PS3.18 §10.6). */
export async function echo(d: Destination): Promise<{ ok: boolean; status: number; ms: number; message: string }> {
  const xhr = new FetchXhr(d.timeoutSeconds * 1000);
  const c = client(d);
  const t0 = performance.now();
  try {
    await c.searchForStudies({ queryParams: { limit: '1' }, request: { instance: xhr } } as never);
  } catch {
    // status says what happened
  }
  const ms = Math.round(performance.now() - t0);
  const ok = xhr.status >= 200 && xhr.status < 300;
  return { ok, status: xhr.status, ms, message: ok ? 'QIDO-RS answered' : xhr.status === 0 ? `network error: ${xhr.networkError ?? 'no answer'}` : `HTTP ${xhr.status}` };
}

function parse(text: string): Json | undefined {
  try {
    const j = text ? (JSON.parse(text) as unknown) : undefined;
    return j && typeof j === 'object' && !Array.isArray(j) ? (j as Json) : undefined;
  } catch {
    return undefined;
  }
}
