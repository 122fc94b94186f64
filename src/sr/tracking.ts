/**
 * Tracking Identifier and Tracking Unique Identifier of a measured structure (PS3.16 TID 4108;
 * the same pair as Tracking ID / Tracking UID (0062,0020) / (0062,0021) of a SEG segment, PS3.3
 * C.8.20.4). A reader's system links measurements of the same finding by the UID, so it must not
 * change when the model is retrained (a new generation) or a reader corrects the SEG: it is derived
 * from what stays the same, the source series and the segment's label, never from the model or
 * the SEG instance.
 *
 * Derivation: a name-based UUID (RFC 4122 §4.3, version 5: SHA-1 over a namespace UUID and the
 * name `<Source Series Instance UID>/<label, lower case>`), written as a UUID-derived UID
 * `2.25.<UUID as an unsigned decimal integer>` (PS3.5 §B.2). The namespace is this product's own
 * (a fixed random UUID), so no other system's name-based UIDs can collide with ours.
 */
import { createHash } from 'node:crypto';

const NAMESPACE = Buffer.from('6f1c2a4e8b3d4c7a9e5f1b2d3c4a5e6f', 'hex');

export function trackingUid(sourceSeriesInstanceUid: string, label: string): string {
  return nameBasedUid(`${sourceSeriesInstanceUid}/${label.toLowerCase()}`);
}

/** A UUID-derived UID (PS3.5 §B.2) from a name-based version 5 UUID in this product's namespace. */
export function nameBasedUid(name: string): string {
  const h = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50; // version 5
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 4122 variant
  return `2.25.${BigInt(`0x${h.toString('hex')}`).toString()}`;
}

/** The human-readable Tracking Identifier: the segment's label (LO-sized, PS3.3 C.8.20.4). */
export const trackingId = (label: string): string => label.slice(0, 64);
