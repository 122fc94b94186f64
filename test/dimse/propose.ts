/**
 * A DIMSE SCU that only negotiates (A-ASSOCIATE-RQ with chosen presentation contexts, PS3.8 §9.3.2)
 * and reports each context's result (PS3.8 Table 9-18), then releases. DCMTK's tools decide their
 * own contexts; this uses dcmjs-dimse's Client to propose exactly what a test needs.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dimse = require('dcmjs-dimse') as typeof import('dcmjs-dimse');
dimse.log.setLevel('silent');

export interface Proposal {
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export async function proposeContexts(port: number, proposals: Proposal[], called = 'DAFNE', calling = 'ECHOSCU'): Promise<{ result: number; transferSyntax?: string }[]> {
  const client = new dimse.Client();
  // A C-ECHO on its own Verification context gives the association something to do.
  client.addRequest(new dimse.requests.CEchoRequest());
  proposals.forEach((p, i) => {
    const pc = new dimse.association.PresentationContext(2 * i + 3, p.abstractSyntax);
    for (const ts of p.transferSyntaxes) pc.addTransferSyntaxUid(ts);
    client.addAdditionalPresentationContext(pc, true);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no association answer within 10 s')), 10_000);
    client.on('associationAccepted', (association: import('dcmjs-dimse').association.Association) => {
      clearTimeout(timer);
      resolve(proposals.map((_, i) => {
        const pc = association.getPresentationContext(2 * i + 3);
        const result = pc.getResult();
        return { result, transferSyntax: result === 0 ? pc.getAcceptedTransferSyntaxUid() : undefined };
      }));
    });
    client.on('associationRejected', () => reject(new Error('association rejected')));
    client.on('networkError', (e: Error) => reject(e));
    client.send('127.0.0.1', port, calling, called);
  });
}
