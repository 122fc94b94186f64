import { cEcho, cStore, type DimseStoreOutcome } from '../dimse/store-scu.js';
import type { Destination } from './destination-store.js';
import { echo, storeInstance, type StoreOutcome } from './dicomweb-out.js';

/**
 * One delivery attempt to a destination of either kind: STOW-RS for `url`, C-STORE for `dimse`
 * (calling AE = the node's `dimse.aeTitle`). Both answer delivered / retry / refused, so retries,
 * idempotence (one delivery row per destination and instance) and the dead letter are the same.
 */
export async function deliverInstance(d: Destination, part10: Buffer, sopInstanceUid: string, callingAe: string): Promise<StoreOutcome | DimseStoreOutcome> {
  if (d.dimse) return cStore(d.dimse, callingAe, part10, d.timeoutSeconds * 1000);
  return storeInstance(d, part10, sopInstanceUid);
}

/** The connectivity test: C-ECHO for a DIMSE destination, a QIDO-RS search for a DICOMweb one. */
export async function testDestination(d: Destination, callingAe: string): Promise<{ ok: boolean; status: number; ms: number; message: string }> {
  if (d.dimse) return cEcho(d.dimse, callingAe, d.timeoutSeconds * 1000);
  return echo(d);
}
