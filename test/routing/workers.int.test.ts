import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { JobView } from '../../src/jobs/job-list.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';
import { REPO_ROOT, type NodeProcess } from '../helpers/node-process.js';
import { api, legSeries, MODEL_ID, registerModel, startRoutingNode, writeRoutingConfig } from '../helpers/routing-fixture.js';
import { stowParts } from '../helpers/stow-client.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Scale-out (DESIGN §3 `worker`): a serving node with no inference workers of its own routes
 * series into the queue on a shared PostgreSQL; two `dafne-node worker` processes with the same
 * DATABASE_URL and blob store drain it, and every job runs exactly once.
 */
const SERIES = 8;
let db: TestDatabase | undefined;
let node: NodeProcess | undefined;
const workers: ChildProcess[] = [];

test.after.always(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await node?.stop();
  node?.cleanup();
  await db?.drop();
});

const run = testDatabases().includes('postgres') ? test : test.skip;

run('postgres: two worker processes drain one queue of inference jobs, each job once', async (t) => {
  db = await createTestDatabase('postgres');
  const rules = [{ id: 'legs', quietSeconds: 0.5, when: { Modality: 'MR' }, model: MODEL_ID }];
  const env = { DATABASE_URL: db.url! };
  const serving = await startRoutingNode({ rules, env, config: { jobs: { concurrency: { inference: 0, delivery: 1 }, pollingIntervalSeconds: 0.5, retryDelaySeconds: 1 } } });
  node = serving;
  const study = (await legSeries()).series.studyInstanceUID;
  for (let i = 0; i < SERIES; i++) {
    const s = await legSeries({ description: `T1 worker ${i}`, studyInstanceUID: study });
    t.is((await stowParts(serving.url, s.series.files)).status, 200);
  }
  const queued = await waitFor(async () => {
    const jobs = await api<JobView[]>(serving.url, '/api/v1/jobs?type=inference');
    return jobs.length === SERIES ? jobs : undefined;
  }, 60_000, 'all inference jobs queued');
  t.true(queued.every((j) => j.state === 'created'), 'the serving node runs no inference itself');

  // Two workers, same database and data directory (blob store), one inference at a time each.
  const { env: workerEnv } = writeRoutingConfig(serving.dataDir, { rules, env, config: { jobs: { concurrency: { inference: 1, delivery: 0 }, pollingIntervalSeconds: 0.5 } } });
  await registerModel(serving.dataDir, workerEnv).catch(() => undefined); // already registered: same database
  const logs = [0, 1].map((i) => path.join(serving.dataDir, `worker-${i}.log`));
  for (const log of logs) {
    const w = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/dafne-node.js'), 'worker'], { cwd: REPO_ROOT, env: { ...process.env, ...workerEnv, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = createWriteStream(log);
    w.stdout!.pipe(out);
    w.stderr!.pipe(out);
    workers.push(w);
  }
  const done = await waitFor(async () => {
    const jobs = await api<JobView[]>(serving.url, '/api/v1/jobs?type=inference');
    return jobs.every((j) => j.state === 'completed') ? jobs : undefined;
  }, 120_000, 'all inference jobs completed');
  t.is(done.length, SERIES);
  t.true(done.every((j) => j.retryCount === 0));

  // Which worker ran which job, from their logs: every job exactly once, both workers busy.
  const ran = logs.map((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l.includes('inference done'))
      .map((l) => (JSON.parse(l) as { jobId: string }).jobId),
  );
  const all = ran.flat();
  t.is(all.length, SERIES, 'no job ran twice');
  t.deepEqual([...all].sort(), done.map((j) => j.id).sort());
  t.true(ran.every((r) => r.length > 0), `jobs per worker: ${ran.map((r) => r.length).join(', ')}`);
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once('exit', r)) : undefined)));
  t.true(workers.every((w) => w.exitCode === 0), 'workers stop cleanly on SIGTERM');
});
