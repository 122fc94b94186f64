/**
 * Status codes used in STOW-RS FailureReason (0008,1197) — PS3.18 §10.5.3 and the Storage
 * Service Class statuses of PS3.4 Annex B.2.3 / the general statuses of PS3.7 Annex C.
 */
export const FailureReason = {
  /** Processing failure (PS3.7 C.4.1): an internal error; the instance was not stored. */
  processingFailure: 0x0110,
  /** Duplicate SOP Instance (PS3.7 C.4.1): a different object is stored under this SOP Instance UID. */
  duplicateSopInstance: 0x0111,
  /** Refused: SOP Class not supported (PS3.4 B.2.3). */
  sopClassNotSupported: 0x0122,
  /** Refused: Out of Resources (PS3.4 B.2.3): over the size limit or the disk is full. */
  outOfResources: 0xa700,
  /** Error: Data Set does not match SOP Class (PS3.4 B.2.3): required UIDs missing/invalid/mismatched. */
  dataSetMismatch: 0xa900,
  /** Error: Cannot understand (PS3.4 B.2.3): not DICOM, truncated, or not application/dicom. */
  cannotUnderstand: 0xc000,
} as const;

export type FailureReasonCode = (typeof FailureReason)[keyof typeof FailureReason];
