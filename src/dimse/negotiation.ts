/**
 * Association negotiation of the node's Storage SCP (pure, no I/O): which AE titles may associate
 * (PS3.8 §7.1.1.2-3, A-ASSOCIATE-RJ reasons of PS3.8 Table 9-21), which presentation contexts are
 * accepted (PS3.8 §9.3.3.2 Table 9-18 results) and with which transfer syntax.
 */

/** Verification SOP Class (PS3.4 Annex A, PS3.6 Annex A): C-ECHO. */
export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/**
 * The Storage SOP Classes of PS3.4 Annex B (Table B.5-1) that carry patient objects share this
 * root (PS3.6 Annex A); every one is accepted and stored as received. Others (private classes,
 * non-patient objects such as Hanging Protocols) are refused: the index needs Patient / Study /
 * Series identifiers.
 */
export const STORAGE_SOP_CLASS_ROOT = '1.2.840.10008.5.1.4.1.1.';

/**
 * Transfer syntaxes the node accepts for C-STORE (PS3.5 §10, PS3.6 Annex A): the ones its ingest
 * scan, WADO-RS and frame retrieval understand. The data set is stored in the syntax it arrived in.
 */
export const STORAGE_TRANSFER_SYNTAXES: readonly string[] = [
  '1.2.840.10008.1.2.1', // Explicit VR Little Endian
  '1.2.840.10008.1.2', // Implicit VR Little Endian (the default, PS3.5 §10.1)
  '1.2.840.10008.1.2.1.99', // Deflated Explicit VR Little Endian
  '1.2.840.10008.1.2.5', // RLE Lossless
  '1.2.840.10008.1.2.4.50', // JPEG Baseline (Process 1)
  '1.2.840.10008.1.2.4.51', // JPEG Extended (Process 2 & 4)
  '1.2.840.10008.1.2.4.57', // JPEG Lossless (Process 14)
  '1.2.840.10008.1.2.4.70', // JPEG Lossless SV1
  '1.2.840.10008.1.2.4.80', // JPEG-LS Lossless
  '1.2.840.10008.1.2.4.81', // JPEG-LS Near-Lossless
  '1.2.840.10008.1.2.4.90', // JPEG 2000 Lossless
  '1.2.840.10008.1.2.4.91', // JPEG 2000
  '1.2.840.10008.1.2.4.201', // HTJ2K Lossless
  '1.2.840.10008.1.2.4.202', // HTJ2K Lossless RPCL
  '1.2.840.10008.1.2.4.203', // HTJ2K
  '1.2.840.10008.1.2.2', // Explicit VR Big Endian (retired): only when nothing else is proposed
];
const BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** Presentation context results of PS3.8 Table 9-18. */
export const ContextResult = { accept: 0, abstractSyntaxNotSupported: 3, transferSyntaxesNotSupported: 4 } as const;

/** A-ASSOCIATE-RJ (PS3.8 Table 9-21): result 1 rejected-permanent, source 1 service-user. */
export const Reject = { permanent: 1, serviceUser: 1, callingAeNotRecognized: 3, calledAeNotRecognized: 7 } as const;

export interface AeRules {
  /** The node's AE title: associations must call it. */
  aeTitle: string;
  /** Calling AE titles allowed to associate; empty: any. */
  allowedCallingAeTitles: readonly string[];
}

/** AE titles are compared without their insignificant leading / trailing spaces (PS3.5 §6.2, VR AE). */
export const normalizeAe = (ae: string): string => ae.trim();

/** Undefined when the association may go on; else the A-ASSOCIATE-RJ reason and why. */
export function checkAeTitles(calledAe: string, callingAe: string, rules: AeRules): { reason: number; why: string } | undefined {
  if (normalizeAe(calledAe) !== normalizeAe(rules.aeTitle)) return { reason: Reject.calledAeNotRecognized, why: 'called AE title is not this node' };
  const allowed = rules.allowedCallingAeTitles.map(normalizeAe);
  if (allowed.length > 0 && !allowed.includes(normalizeAe(callingAe))) return { reason: Reject.callingAeNotRecognized, why: 'calling AE title not allowed' };
  return undefined;
}

/** The result for one proposed presentation context and, when accepted, its transfer syntax. */
export function negotiateContext(abstractSyntax: string, proposed: readonly string[]): { result: number; transferSyntax?: string } {
  const supported = abstractSyntax === VERIFICATION_SOP_CLASS || abstractSyntax.startsWith(STORAGE_SOP_CLASS_ROOT);
  if (!supported) return { result: ContextResult.abstractSyntaxNotSupported };
  const transferSyntax = chooseTransferSyntax(proposed);
  return transferSyntax ? { result: ContextResult.accept, transferSyntax } : { result: ContextResult.transferSyntaxesNotSupported };
}

/**
 * The first proposed syntax the node accepts, in the SCU's order (its preference), except that the
 * retired Explicit VR Big Endian is taken only when it is all that could be.
 */
export function chooseTransferSyntax(proposed: readonly string[]): string | undefined {
  const ok = proposed.filter((ts) => STORAGE_TRANSFER_SYNTAXES.includes(ts));
  return ok.find((ts) => ts !== BIG_ENDIAN) ?? ok[0];
}
