import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { VolumeGeometry } from '../../src/dicom/volume.js';
import { REPO_ROOT } from './node-process.js';

const run = promisify(execFile);

/** Debian's python3 (with python3-pydicom, python3-numpy), not a pyenv one that may be on PATH. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** dciodvfy's `Error` lines for a file (its exit status is not reliable, notes/peers.md). */
export async function dciodvfy(file: string): Promise<{ errors: string[]; warnings: string[] }> {
  const out = await run('/usr/bin/dciodvfy', [file], { maxBuffer: 16 << 20 }).then(
    (r) => r.stdout + r.stderr,
    (e: { stdout?: string; stderr?: string }) => (e.stdout ?? '') + (e.stderr ?? ''),
  );
  const lines = out.split('\n');
  return { errors: lines.filter((l) => l.startsWith('Error')), warnings: lines.filter((l) => l.startsWith('Warning')) };
}

/** Decodes a SEG with pydicom + numpy (test/helpers/read_seg.py) onto `grid`: an independent reader. */
export async function readSegWithPydicom(file: string, grid: VolumeGeometry): Promise<{ labels: Uint8Array; frames: number; segments: { number: number; label: string }[] }> {
  const gridFile = `${file}.grid.json`;
  const { columns, rows, slices, spacing, origin, rowDirection, columnDirection, normal } = grid;
  await writeFile(gridFile, JSON.stringify({ columns, rows, slices, spacing, origin, rowDirection, columnDirection, normal }));
  const { stdout } = await run(DEBIAN_PYTHON, [path.join(REPO_ROOT, 'test/helpers/read_seg.py'), file, gridFile], { maxBuffer: 1 << 30 });
  const r = JSON.parse(stdout) as { data: string; frames: number; segments: { number: number; label: string }[] };
  return { labels: new Uint8Array(Buffer.from(r.data, 'base64')), frames: r.frames, segments: r.segments };
}
