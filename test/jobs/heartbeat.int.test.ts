import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import test from 'ava';
import type { JobView } from '../../src/jobs/job-list.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries } from '../../src/phantom/write-series.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';
import { REPO_ROOT, type NodeProcess } from '../helpers/node-process.js';
import { api, startRoutingNode, writeRoutingConfig } from '../helpers/routing-fixture.js';
import { stowParts } from '../helpers/stow-client.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A crashed worker's job (issue 17 item 4): two `dafne-node worker` processes share one
 * PostgreSQL and blob store with a serving node that runs no inference. The demo model segments
 * a 512×512×160 series; the worker running it is SIGKILLed mid-inference; the other one must take
 * the job over within a minute (heartbeat lease, not the 900 s expiry) and complete it once: one
 * ai_result, one SEG. Default heartbeat settings (10 s, timeout 30 s) and retry delay (5 s).
 */
let db: TestDatabase | undefined;
let node: NodeProcess | undefined;
const workers: ChildProcess[] = [];

test.after.always(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await node?.stop();
  node?.cleanup();
  await db?.drop();
});

const run = testDatabases().includes('postgres') ? test : test.skip;

run('postgres: SIGKILL of the worker running an inference job: the other worker takes it over in < 60 s and completes it once', async (t) => {
  t.timeout(360_000);
  db = await createTestDatabase('postgres');
  const rules = [{ id: 'legs', quietSeconds: 0.5, when: { Modality: 'MR' }, model: 'leg-demo' }];
  const env = { DATABASE_URL: db.url! };
  // model: false — the serving node registers the shipped demo model (empty registry).
  const serving = await startRoutingNode({ rules, env, model: false, config: { jobs: { concurrency: { inference: 0, delivery: 1 }, pollingIntervalSeconds: 0.5 } } });
  node = serving;
  const { env: workerEnv } = writeRoutingConfig(serving.dataDir, { rules, env, config: { jobs: { concurrency: { inference: 1, delivery: 0 }, pollingIntervalSeconds: 2 } } });
  const logs = [0, 1].map((i) => path.join(serving.dataDir, `worker-${i}.log`));
  for (const log of logs) {
    const w = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/dafne-node.js'), 'worker'], { cwd: REPO_ROOT, env: { ...process.env, ...workerEnv, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    w.stdout!.pipe(createWriteStream(log));
    w.stderr!.pipe(createWriteStream(`${log}.err`));
    workers.push(w);
  }
  await waitFor(() => logs.every((f) => readFileSync(f, 'utf8').includes('dafne-node worker ready')), 60_000, 'both workers ready');

  const ph = legPhantom({ seed: 17, rows: 512, columns: 512, slices: 160, sliceSpacing: 2 });
  const s = await writeLegSeries(ph.volume, { seriesDescription: 'T1 leg heartbeat', patientId: 'HEARTBEAT', bodyPartExamined: 'LEG' });
  t.is((await stowParts(serving.url, s.files)).status, 200);

  // The job running, inside the model's slices: which process holds its lease?
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const job = await waitFor(async () => {
      const [j] = await api<JobView[]>(serving.url, '/api/v1/jobs?type=inference');
      return j?.state === 'active' && /inference \d+\/\d+ slices/.test(j.progressMessage ?? '') ? j : undefined;
    }, 120_000, 'the inference job inside the network', 200);
    const { rows } = await client.query<{ worker: string }>('SELECT worker FROM job_lease WHERE job_id = $1', [job.id]);
    const pid = Number(rows[0]!.worker.split(':').at(-1));
    const victim = workers.findIndex((w) => w.pid === pid);
    t.true(victim >= 0, `the lease names one of the workers (${rows[0]!.worker})`);
    const survivor = 1 - victim;
    const killedAt = Date.now();
    workers[victim]!.kill('SIGKILL');
    await new Promise((r) => workers[victim]!.once('exit', r));
    t.log(`killed worker ${victim} at "${job.progressMessage}"`);

    const taken = await waitFor(async () => {
      const j = await api<JobView>(serving.url, `/api/v1/jobs/${job.id}`);
      return (j.state === 'active' || j.state === 'completed') && j.retryCount === 1 ? j : undefined;
    }, 120_000, 'the job running again', 200);
    const takeoverMs = Date.parse(taken.startedAt!) - killedAt;
    const done = await waitFor(async () => {
      const j = await api<JobView>(serving.url, `/api/v1/jobs/${job.id}`);
      return j.state === 'completed' ? j : undefined;
    }, 240_000, 'the job completed', 500);
    t.log(`takeover ${(takeoverMs / 1000).toFixed(1)} s after the SIGKILL; completed ${((Date.parse(done.completedAt!) - killedAt) / 1000).toFixed(1)} s after it`);
    t.true(takeoverMs < 60_000, `taken over in ${takeoverMs} ms`);
    t.regex(JSON.stringify(await api<JobView>(serving.url, `/api/v1/jobs/${job.id}`)), /completed/);

    // Exactly once: one result, one SEG in the archive, one "inference done" — by the survivor.
    const results = await client.query('SELECT seg_sop_instance_uid FROM ai_result WHERE source_series_instance_uid = $1', [s.seriesInstanceUID]);
    t.is(results.rowCount, 1);
    const segs = await client.query(
      "SELECT i.sop_instance_uid FROM instance i JOIN series se ON se.id = i.series_fk JOIN study st ON st.id = se.study_fk WHERE st.study_instance_uid = $1 AND se.modality = 'SEG'",
      [s.studyInstanceUID],
    );
    t.is(segs.rowCount, 1, 'one SEG stored');
    const doneLines = logs.map((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('inference done')).length);
    t.deepEqual([doneLines[victim], doneLines[survivor]], [0, 1]);
    t.is((await client.query('SELECT 1 FROM job_lease')).rowCount, 0, 'no lease left behind');
  } finally {
    await client.end();
  }
});
