import type { Config } from '../config/schema.js';
import { migrate } from './migrate.js';
import { serve } from './serve.js';

export const USAGE = `Usage: dafne-node <command> [options]

Commands:
  serve              HTTP (DICOMweb, API, viewer) + job workers + scheduler, one process
  worker             job workers only (inference, delivery), for scale-out on a shared PostgreSQL
  migrate            apply database migrations and exit
  import PATH...     store DICOM files / folders into the node
  fsck [--deep] [--repair]
                     check that the index and the blob store agree
  token NAME ROLE... print a new bearer token and the config entry that grants it
  model list | add DIR | promote MODEL GEN | rollback MODEL
                     the model registry
  train [--model ID] the nightly learning run now (fine-tune on reviews, gate, promotion policy), with progress
  segment SERIES_DIR --model ID|DIR --out seg.dcm
                     segment a folder of DICOM files into a DICOM SEG (no PACS needed)
  demo [--url URL] [--model ID]
                     send a synthetic leg-phantom study through a running node; print the viewer URL and Dice
  federation uploads | approve ID | decline ID
                     the site admin's approval of outgoing federation deltas
  central [site add NAME --public-key FILE | site list | site revoke NAME | site exclude NAME | site include NAME | model add DIR | merge]
                     the central federation server role (no arguments: serve /federation/v1)

Environment: DAFNE_CONFIG, HOST, PORT, DAFNE_DATA_DIR, DATABASE_URL, DAFNE_CENTRAL_URL, LOG_LEVEL
`;

export async function runCommand(command: string, args: string[], config: Config): Promise<number> {
  switch (command) {
    case 'serve':
      return serve(config);
    case 'worker':
      return (await import('./worker.js')).workerCommand(config);
    case 'migrate':
      return migrate(config);
    case 'import':
      return (await import('./import.js')).importPaths(config, args);
    case 'fsck':
      return (await import('./fsck.js')).fsckCommand(config, args);
    case 'model':
      return (await import('./model.js')).modelCommand(config, args);
    case 'train':
      return (await import('./train.js')).trainCommand(config, args);
    case 'segment':
      return (await import('./segment.js')).segmentCommand(config, args);
    case 'demo':
      return (await import('./demo.js')).demoCommand(config, args);
    case 'token':
      return (await import('./token.js')).tokenCommand(args);
    case 'federation':
      return (await import('./federation.js')).federationCommand(config, args);
    case 'central':
      return (await import('./central.js')).centralCommand(config, args);
    default:
      process.stderr.write(`dafne-node: unknown command "${command}"\n\n${USAGE}`);
      return 64; // EX_USAGE
  }
}
