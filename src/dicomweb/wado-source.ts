/**
 * Reading a stored instance for WADO-RS: its data set up to Pixel Data (the header), and random
 * access to the rest, without reading the whole file when the index says where Pixel Data is.
 */
import type { Archive } from '../archive/archive.js';
import type { StoredInstance } from '../archive/index-queries.js';
import { DicomParseError, openPart10, type Part10Dataset } from '../dicom/element-reader.js';
import type { ReadAt } from '../dicom/fragments.js';
import { TS } from '../dicom/uids.js';

export interface InstanceBytes {
  /** The data set; when `header.inFile` it may end right after the Pixel Data element header. */
  header: Part10Dataset;
  /** Reads the data set's bytes at the offsets of `header.data` (file offsets when in the file). */
  readAt: ReadAt;
  /** Bytes available to `readAt`. */
  size: number;
}

/**
 * Reads the header of a stored instance: the file up to the Pixel Data value (whose offset the
 * index keeps), or the whole file when it has no Pixel Data or is deflated (PS3.5 §A.5).
 */
export async function readInstance(archive: Archive, row: StoredInstance): Promise<InstanceBytes> {
  const whole = row.pixelDataOffset === null || row.transferSyntaxUid === TS.deflatedLE;
  const bytes = whole ? await archive.blobs.read(row.sha256) : await archive.blobs.readRange(row.sha256, 0, row.pixelDataOffset!);
  if (!whole && bytes.length < row.pixelDataOffset!) throw new DicomParseError('stored file is shorter than its index entry says', 'truncated');
  const header = openPart10(bytes);
  if (header.inFile && !whole) {
    return { header, readAt: (offset, length) => archive.blobs.readRange(row.sha256, offset, length), size: row.size };
  }
  const data = header.data;
  return { header, readAt: async (offset, length) => data.subarray(offset, offset + length), size: data.length };
}
