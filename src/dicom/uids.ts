/** Transfer syntaxes named in PS3.5 §10 and Annex A that the archive distinguishes. */
export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflatedLE: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
} as const;

/**
 * A UID per PS3.5 §9.1: 1–64 characters, dot-separated numeric components without leading zeros
 * (except a component that is exactly "0"). Checked before a UID reaches a file path or a query,
 * which also rules out every path character.
 */
const UID_RE = /^(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*$/;

export function isValidUid(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 64 && UID_RE.test(value);
}

/** Native (uncompressed) pixel data: frames are plain byte ranges (PS3.5 §8.1.1). */
export function isNativeTransferSyntax(uid: string): boolean {
  return uid === TS.implicitLE || uid === TS.explicitLE || uid === TS.explicitBE || uid === TS.deflatedLE;
}
