import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import type { StoreResult } from '../archive/ingest.js';
import type { Config } from '../config/schema.js';
import { storeReceived } from './store-received.js';
import { storeScpClass } from './store-scp.js';

export interface DimseServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface DimseServerDeps {
  archive: Archive;
  config: Config;
  log: Logger;
  onStored?: (results: StoreResult[], sender: string) => void;
}

/** P-DATA-TF PDUs the node receives: large ones mean fewer fragments per instance (PS3.8 §9.3.5). */
const MAX_PDU_LENGTH = 256 * 1024;

/**
 * The DIMSE listener (PS3.8 TCP/IP transport, §9.1): one Storage / Verification SCP per connection,
 * bound to `dimse.host` (loopback by default) on `dimse.port`. dcmjs-dimse's own Server would bind
 * every interface, so the socket server is ours and the library only speaks the protocol on it.
 */
export async function startDimseServer(deps: DimseServerDeps): Promise<DimseServer> {
  const { dimse, stow } = deps.config;
  if (dimse.port === undefined) throw new Error('dimse.port is not configured');
  const log = deps.log.child({ component: 'dimse' });
  const Scp = storeScpClass({
    aeTitle: dimse.aeTitle,
    allowedCallingAeTitles: dimse.allowedCallingAeTitles,
    maxInstanceBytes: stow.maxInstanceBytes,
    maxPduLength: MAX_PDU_LENGTH,
    log,
    store: (part10, callingAe) => storeReceived({ archive: deps.archive, maxInstanceBytes: stow.maxInstanceBytes, onStored: deps.onStored }, part10, callingAe),
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const scp = new Scp(socket);
    // A protocol or socket error ends this association only (the library has logged nothing: it is silenced).
    scp.on('networkError', (err: Error) => {
      log.warn({ remote: socket.remoteAddress, reason: err.message.replace(/\[[^\]]*\]/g, '').slice(0, 200) }, 'DIMSE association ended by an error');
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(dimse.port, dimse.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : dimse.port;
  log.info({ host: dimse.host, port, aeTitle: dimse.aeTitle }, 'DIMSE Storage SCP listening');
  return {
    host: dimse.host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
