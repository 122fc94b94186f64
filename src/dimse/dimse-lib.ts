/**
 * The DIMSE library (dcmjs-dimse: the PS3.8 upper layer and PS3.7 message exchange), loaded once.
 * It is a CommonJS bundle whose named exports Node's ESM loader cannot see, hence createRequire.
 * Only src/dimse/ imports it. Its own logger writes to the console, including AE titles and UIDs:
 * it is silenced, and this folder logs what matters through pino instead.
 */
import { createRequire } from 'node:module';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/part10-writer.js';

const require = createRequire(import.meta.url);
export const dimse = require('dcmjs-dimse') as typeof import('dcmjs-dimse');

dimse.log.setLevel('silent');
// A-ASSOCIATE user information (PS3.7 D.3.3.2): the node's Implementation Class UID / Version Name,
// the same as in the File Meta Information of the files it writes.
dimse.Implementation.setImplementationClassUid(IMPLEMENTATION_CLASS_UID);
dimse.Implementation.setImplementationVersion(IMPLEMENTATION_VERSION_NAME);

export type Scp = import('dcmjs-dimse').Scp;
export type Association = import('dcmjs-dimse').association.Association;
export type PresentationContext = import('dcmjs-dimse').association.PresentationContext;
export type CStoreRequest = import('dcmjs-dimse').requests.CStoreRequest;
export type CEchoRequest = import('dcmjs-dimse').requests.CEchoRequest;
