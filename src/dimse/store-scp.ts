import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { encodeFileMeta } from '../dicom/file-meta.js';
import { FailureReason } from '../dicom/status.js';
import { dimse, type Association, type CEchoRequest, type CStoreRequest, type PresentationContext } from './dimse-lib.js';
import { checkAeTitles, negotiateContext, normalizeAe, Reject, type AeRules } from './negotiation.js';
import type { StoreStatus } from './store-received.js';

const { Scp, Dataset } = dimse;
const { CEchoResponse, CStoreResponse } = dimse.responses;

export interface StoreScpDeps extends AeRules {
  /** Largest data set accepted; a larger one is answered A700 and dropped as it arrives. */
  maxInstanceBytes: number;
  /** Our largest P-DATA-TF PDU (PS3.8 §9.3.1, Maximum Length Sub-Item D.1). */
  maxPduLength: number;
  store(part10: Buffer, callingAe: string): Promise<StoreStatus>;
  log: Logger;
}

/**
 * Collects one C-STORE data set as its P-DATA fragments arrive (PS3.8 §9.3.5, PS3.7 §9.3.1.1),
 * without parsing it. Past the size limit it keeps counting but drops the bytes.
 */
class DatasetCollector extends Writable {
  chunks: Buffer[] = [];
  size = 0;
  constructor(private readonly max: number, readonly transferSyntaxUid: string | undefined) {
    super({ highWaterMark: 4 * 1024 * 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.size += chunk.length;
    if (this.size > this.max) this.chunks = [];
    else this.chunks.push(chunk);
    done();
  }
}

/**
 * The node's Storage SCP and Verification SCP (PS3.4 Annex B and A) for one association: AE titles
 * checked, presentation contexts negotiated (negotiation.ts), C-ECHO answered, and each C-STORE data
 * set wrapped as a Part 10 file (File Meta from the command: Affected SOP Class / Instance UID, the
 * accepted transfer syntax, the calling AE as Source AE) and stored by `deps.store`. An association
 * that ends before a data set is complete stores nothing of it.
 */
export function storeScpClass(deps: StoreScpDeps): new (socket: Socket) => InstanceType<typeof Scp> {
  return class StoreScp extends Scp {
    private association: Association | undefined;
    private readonly collectors = new WeakMap<object, DatasetCollector>();
    private readonly counts = { stored: 0, failed: 0 };

    constructor(socket: Socket) {
      super(socket, { associationTimeout: 30_000, pduTimeout: 60_000 });
    }

    override associationRequested(association: Association): void {
      this.association = association;
      const calling = association.getCallingAeTitle();
      const refused = checkAeTitles(association.getCalledAeTitle(), calling, deps);
      if (refused) {
        deps.log.warn({ callingAe: normalizeAe(calling), calledAe: normalizeAe(association.getCalledAeTitle()), why: refused.why }, 'DIMSE association rejected');
        this.sendAssociationReject(Reject.permanent, Reject.serviceUser, refused.reason);
        return;
      }
      association.setMaxPduLength(deps.maxPduLength);
      for (const { id } of association.getPresentationContexts()) {
        const context = association.getPresentationContext(id);
        const { result, transferSyntax } = negotiateContext(context.getAbstractSyntaxUid(), context.getTransferSyntaxUids());
        context.setResult(result, transferSyntax);
      }
      this.sendAssociationAccept();
    }

    override associationReleaseRequested(): void {
      deps.log.info({ callingAe: normalizeAe(this.association?.getCallingAeTitle() ?? ''), ...this.counts }, 'DIMSE association released');
      this.sendAssociationReleaseResponse();
    }

    override cEchoRequest(request: CEchoRequest, callback: (response: InstanceType<typeof CEchoResponse>) => void): void {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(0x0000);
      callback(response);
    }

    override createStoreWritableStream(context: PresentationContext, request: CStoreRequest): Writable {
      // The presentation context the data set arrives on fixes its transfer syntax (PS3.8 §9.3.5.1).
      const collector = new DatasetCollector(deps.maxInstanceBytes, context.getAcceptedTransferSyntaxUid());
      this.collectors.set(request, collector);
      return collector;
    }

    override createDatasetFromStoreWritableStream(_writable: Writable, _context: PresentationContext, callback: (dataset: InstanceType<typeof Dataset>) => void): void {
      // The data set is stored as received, never parsed here: hand the library an empty one.
      callback(new Dataset());
    }

    override cStoreRequest(request: CStoreRequest, callback: (response: InstanceType<typeof CStoreResponse>) => void): void {
      const respond = (status: number, comment?: string): void => {
        const response = CStoreResponse.fromRequest(request);
        response.setStatus(status);
        if (comment) response.setErrorComment(comment);
        callback(response);
      };
      const collector = this.collectors.get(request);
      this.collectors.delete(request);
      const transferSyntaxUid = collector?.transferSyntaxUid;
      if (!collector || !transferSyntaxUid || collector.size === 0) return respond(FailureReason.cannotUnderstand, 'no data set received');
      if (collector.size > deps.maxInstanceBytes) return respond(FailureReason.outOfResources, `data set over ${deps.maxInstanceBytes} bytes`);
      const callingAe = normalizeAe(this.association!.getCallingAeTitle());
      const meta = encodeFileMeta({ sopClassUid: request.getAffectedSopClassUid(), sopInstanceUid: request.getAffectedSopInstanceUid(), transferSyntaxUid, sourceAeTitle: callingAe });
      const part10 = Buffer.concat([meta, ...collector.chunks]);
      collector.chunks = [];
      deps.store(part10, callingAe).then(
        (s) => {
          this.counts[s.status === 0 ? 'stored' : 'failed']++;
          respond(s.status, s.errorComment);
        },
        (err: unknown) => {
          deps.log.error({ err }, 'C-STORE: unexpected error while storing');
          respond(FailureReason.processingFailure, 'processing failure');
        },
      );
    }
  };
}
