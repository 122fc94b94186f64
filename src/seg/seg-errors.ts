/** A SEG that cannot be read onto a label volume: wrong SOP class, missing geometry, off-grid frame… */
export class SegReadError extends Error {
  override readonly name = 'SegReadError';
}

/** Input that cannot become a conformant SEG (e.g. a label without a segment definition). */
export class SegWriteError extends Error {
  override readonly name = 'SegWriteError';
}
