/**
 * Test harness: DCMTK's echoscu / storescu / dcmdump (Debian dcmtk) as the PACS side of DIMSE.
 * Each run returns its exit code and output instead of throwing, so tests can assert on failures.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ToolRun {
  code: number;
  out: string;
}

export function runTool(bin: string, args: string[], timeoutMs = 120_000): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** Writes Part 10 files into a new temp directory; returns their paths in order. */
export function writeFiles(files: Buffer[], prefix = 'dafne-dimse-'): string[] {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return files.map((f, i) => {
    const p = join(dir, `${String(i).padStart(4, '0')}.dcm`);
    writeFileSync(p, f);
    return p;
  });
}

/** `echoscu -aec CALLED -aet CALLING host port` (C-ECHO, PS3.7 §9.1.5). */
export const echoscu = (port: number, called = 'DAFNE', calling = 'ECHOSCU') => runTool('echoscu', ['-v', '-aec', called, '-aet', calling, '127.0.0.1', String(port)]);

/** `storescu -aec CALLED -aet CALLING [extra] host port files` (C-STORE, PS3.7 §9.1.1). */
export const storescu = (port: number, files: string[], opts: { called?: string; calling?: string; extra?: string[] } = {}) =>
  runTool('storescu', ['-v', '-aec', opts.called ?? 'DAFNE', '-aet', opts.calling ?? 'STORESCU', ...(opts.extra ?? []), '127.0.0.1', String(port), ...files]);

/** The data set part of `dcmdump` (after "# Dicom-Data-Set", without its transfer syntax line): an independent parse. */
export async function dumpDataset(bytes: Buffer): Promise<string> {
  const [file] = writeFiles([bytes], 'dafne-dump-');
  const r = await runTool('dcmdump', ['-q', '-Un', '+L', '+U8', file!]);
  if (r.code !== 0) throw new Error(`dcmdump failed: ${r.out.slice(0, 500)}`);
  const at = r.out.indexOf('# Dicom-Data-Set');
  if (at < 0) throw new Error('dcmdump printed no data set');
  return r.out.slice(at).split('\n').filter((l) => !l.startsWith('# ')).join('\n');
}

/** One tag's value as dcmdump prints it (`+P tag`), brackets removed. */
export async function dumpTag(bytes: Buffer, tag: string): Promise<string> {
  const [file] = writeFiles([bytes], 'dafne-dump-');
  const r = await runTool('dcmdump', ['-Un', '+P', tag, file!]);
  return /\[([^\]]*)\]/.exec(r.out)?.[1] ?? '';
}

/** Where the data set starts: 144 + the value of (0002,0000) (PS3.10 Table 7.1-1). */
export function datasetOffset(file: Buffer): number {
  if (file.readUInt32LE(132) !== 0x00000002 || file.toString('latin1', 136, 138) !== 'UL') throw new Error('no (0002,0000) first in the meta group');
  return 144 + file.readUInt32LE(140);
}
