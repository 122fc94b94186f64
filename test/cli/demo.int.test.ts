import { execFile } from 'node:child_process';
import path from 'node:path';
import test from 'ava';
import { REPO_ROOT, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

/** `dafne-node ARGS` as a separate process, as an operator runs it. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO_ROOT, 'bin/dafne-node.js'), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 600_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const line = (out: string, prefix: string): string => out.split('\n').find((l) => l.startsWith(prefix)) ?? '';
type Json = Record<string, { Value?: unknown[] }>;

async function qidoSegs(node: NodeProcess, study: string): Promise<Json[]> {
  const res = await fetch(`${node.url}/dicomweb/studies/${study}/series?Modality=SEG`);
  return res.status === 200 ? ((await res.json()) as Json[]) : [];
}

test('demo: a phantom study through a running node to a stored SEG, with the demo model named and a real Dice', async (t) => {
  const node = await startNodeProcess();
  try {
    const r = await cli(['demo', '--url', node.url, '--seed', '11']);
    t.log(r.stdout);
    t.is(r.code, 0, r.stderr);
    t.regex(line(r.stdout, 'model: '), /^model: leg-demo generation \d+ .*the demo model/);
    const study = line(r.stdout, 'study: ').slice('study: '.length);
    const source = /^series: (\S+)/.exec(line(r.stdout, 'series: '))?.[1];
    const segSeries = /^SEG: series (\S+) made by leg-demo generation \d+/.exec(line(r.stdout, 'SEG: '))?.[1];
    t.truthy(study);
    t.truthy(source);
    t.truthy(segSeries, 'the SEG line names the series and the model');

    // The SEG is in the node's archive, under the phantom's study, referencing the phantom series.
    const segs = await qidoSegs(node, study);
    t.is(segs.length, 1);
    t.is(segs[0]!['0020000E']?.Value?.[0], segSeries);
    const meta = (await (await fetch(`${node.url}/dicomweb/studies/${study}/series/${segSeries}/metadata`)).json()) as Json[];
    t.is(meta[0]!['0020000D']?.Value?.[0], study);
    t.is(meta[0]!['00080060']?.Value?.[0], 'SEG');
    const referenced = meta[0]!['00081115']?.Value?.[0] as Json | undefined;
    t.is(referenced?.['0020000E']?.Value?.[0], source);

    const dice = Number(/mean (\d+\.\d+) over \d+ muscles/.exec(line(r.stdout, 'Dice against the phantom ground truth: '))?.[1]);
    t.true(dice > 0 && dice <= 1, `Dice ${dice}`);
    t.is(line(r.stdout, 'see it: '), `see it: ${node.url}/viewer/dafne-review?StudyInstanceUIDs=${study}`);
  } finally {
    await node.stop();
    node.cleanup();
  }
});

test('demo: no node at the URL is a clear error', async (t) => {
  const r = await cli(['demo', '--url', 'http://127.0.0.1:9']);
  t.is(r.code, 69);
  t.regex(r.stderr, /no node answers at http:\/\/127\.0\.0\.1:9 .*start one first/);
});
