/**
 * WADO-RS (PS3.18 §10.4): the retrieve transactions, one file each.
 *
 *   retrieveInstances  study / series / instance as multipart/related; type="application/dicom"
 *   retrieveMetadata   DICOM JSON of every instance in scope
 *   retrieveFrames     frames of one instance, as stored (no transcoding)
 *   retrieveBulkdata   the value at a BulkDataURI the metadata gave out
 *
 * docs/conformance.md (WADO-RS section) states the media types, the transfer syntax policy and
 * the bulk data URI scheme.
 */
export type { WadoResult, WadoScope } from './wado-types.js';
export { retrieveInstances } from './wado-instances.js';
export { retrieveMetadata } from './wado-metadata.js';
export { retrieveFrames } from './wado-frames.js';
export { retrieveBulkdata } from './wado-bulkdata.js';
