import { openPart10 } from '../dicom/element-reader.js';
import { TS } from '../dicom/uids.js';
import { dimse } from './dimse-lib.js';

/** Where to C-STORE / C-ECHO: a Storage SCP's address and called AE title. */
export interface DimsePeer {
  host: string;
  port: number;
  aeTitle: string;
}

/**
 * One C-STORE attempt (PS3.4 B.2.3 statuses), in the shape of the DICOMweb outcome:
 * - `delivered`: Success (0000) or a Warning (B000, B006, B007: stored, possibly coerced);
 * - `retry`: no answer (network, timeout), association rejected-transient (PS3.8 Table 9-21),
 *   Refused: Out of Resources (A7xx) or Processing Failure (0110) — may pass later;
 * - `refused`: association rejected-permanent, no presentation context accepted for the SOP
 *   class, or any other failure status (A9xx, Cxxx, 0111, 0122, …): the same bytes cannot pass.
 */
export type DimseStoreOutcome = { kind: 'delivered'; status: number } | { kind: 'refused' | 'retry'; status: number; reason: string };

const hex = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;

export function outcomeOfStatus(status: number, comment?: string): DimseStoreOutcome {
  if (status === 0x0000 || status === 0xb000 || status === 0xb006 || status === 0xb007) return { kind: 'delivered', status };
  const reason = `C-STORE status ${hex(status)}${comment ? ` (${comment.slice(0, 64)})` : ''}`;
  if ((status & 0xff00) === 0xa700 || status === 0x0110) return { kind: 'retry', status, reason };
  return { kind: 'refused', status, reason };
}

interface Exchange {
  /** A-ASSOCIATE-RJ result (1 permanent, 2 transient) and reason, when rejected. */
  rejected?: { result: number; reason: number };
  networkError?: string;
  status?: number;
  comment?: string;
}

/** Runs one association with `requests`, collecting the first response's status. */
function exchange(peer: DimsePeer, callingAe: string, request: InstanceType<typeof dimse.requests.Request>, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const got: Exchange = {};
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(got);
    };
    const client = new dimse.Client();
    const timer = setTimeout(() => {
      got.networkError ??= `no answer within ${timeoutMs} ms`;
      try {
        client.abort();
      } catch {
        // not connected yet
      }
      finish();
    }, timeoutMs);
    request.on('response', (res: InstanceType<typeof dimse.responses.Response>) => {
      got.status ??= res.getStatus();
      got.comment ??= res.getErrorComment() || undefined;
    });
    client.addRequest(request);
    client.on('associationRejected', (r: { result: number; reason: number }) => (got.rejected = { result: r.result, reason: r.reason }));
    client.on('networkError', (e: Error) => {
      got.networkError ??= e.message.replace(/\[[^\]]*\]/g, '').slice(0, 200);
      finish();
    });
    client.on('closed', finish);
    client.send(peer.host, peer.port, callingAe, peer.aeTitle, { connectTimeout: timeoutMs, associationTimeout: timeoutMs, pduTimeout: timeoutMs });
  });
}

function associationProblem(x: Exchange, peer: DimsePeer): { kind: 'refused' | 'retry'; status: number; reason: string } | undefined {
  if (x.rejected) {
    const reason = `association rejected by ${peer.aeTitle}@${peer.host}:${peer.port} (result ${x.rejected.result}, reason ${x.rejected.reason}; PS3.8 Table 9-21)`;
    return { kind: x.rejected.result === 2 ? 'retry' : 'refused', status: 0, reason };
  }
  if (x.status === undefined && x.networkError) return { kind: 'retry', status: 0, reason: `network error: ${x.networkError}` };
  return undefined;
}

/** C-STORE of one Part 10 instance; the calling AE title is the node's. */
export async function cStore(peer: DimsePeer, callingAe: string, part10: Buffer, timeoutMs: number): Promise<DimseStoreOutcome> {
  const p = openPart10(part10);
  // A deflated file's data set is inflated by openPart10: it goes as Explicit VR Little Endian.
  const ts = p.transferSyntaxUid === TS.deflatedLE ? TS.explicitLE : p.transferSyntaxUid;
  const dataset = new dimse.Dataset(p.data.subarray(p.start), ts);
  const request = new dimse.requests.CStoreRequest(dataset);
  // Also offer the uncompressed syntaxes every Storage SCP must take (PS3.5 §10.1: Implicit VR LE).
  request.setAdditionalTransferSyntaxes([TS.explicitLE, TS.implicitLE].filter((t) => t !== ts));
  const x = await exchange(peer, callingAe, request, timeoutMs);
  const problem = associationProblem(x, peer);
  if (problem) return problem;
  if (x.status === undefined) return { kind: 'refused', status: 0, reason: `${peer.aeTitle} accepted no presentation context for SOP class ${String(dataset.getElement('SOPClassUID'))} in ${ts}` };
  return outcomeOfStatus(x.status, x.comment);
}

/** C-ECHO (Verification, PS3.4 Annex A): the DIMSE destination's connectivity test. */
export async function cEcho(peer: DimsePeer, callingAe: string, timeoutMs: number): Promise<{ ok: boolean; status: number; ms: number; message: string }> {
  const t0 = performance.now();
  const x = await exchange(peer, callingAe, new dimse.requests.CEchoRequest(), timeoutMs);
  const ms = Math.round(performance.now() - t0);
  const problem = associationProblem(x, peer);
  if (problem) return { ok: false, status: problem.status, ms, message: problem.reason };
  if (x.status === undefined) return { ok: false, status: 0, ms, message: `${peer.aeTitle} did not accept the Verification SOP Class` };
  return { ok: x.status === 0, status: x.status, ms, message: x.status === 0 ? 'C-ECHO answered Success' : `C-ECHO status ${hex(x.status)}` };
}
