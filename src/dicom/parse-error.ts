/** A Part 10 file or data set that cannot be read: not DICOM, truncated, or malformed. */
export class DicomParseError extends Error {
  constructor(message: string, readonly code: 'not-dicom' | 'truncated' | 'malformed') {
    super(message);
    this.name = 'DicomParseError';
  }
}
