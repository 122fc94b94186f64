import test from 'ava';
import type { JobView } from '../../src/jobs/job-list.js';
import type { NodeProcess } from '../helpers/node-process.js';
import { api, legSeries, MODEL_ID, startRoutingNode, writeRoutingConfig } from '../helpers/routing-fixture.js';
import { stowParts } from '../helpers/stow-client.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Rule priority between jobs (issue 17 item 6): `dafne-node serve` (PGlite, the threshold model)
 * queues three inference jobs with no inference worker (routine, urgent, routine, in that order),
 * then restarts with one worker: the urgent rule's job runs first although it is younger, then
 * the two routine ones oldest first. Order is read from the jobs' start times, never from a clock.
 */
let node: NodeProcess | undefined;

test.after.always(async () => {
  await node?.stop();
  node?.cleanup();
});

const rule = (id: string, priority: number, description: string) => ({ id, priority, quietSeconds: 0.5, when: { SeriesDescription: { wildcard: description } }, model: MODEL_ID });
const RULES = [rule('routine', 0, '*routine*'), rule('urgent', 50, '*urgent*')];
const queueOnly = { jobs: { concurrency: { inference: 0, delivery: 0 }, pollingIntervalSeconds: 0.5, retryDelaySeconds: 1 } };

test('higher rule priority runs first, then the older job', async (t) => {
  const n = await startRoutingNode({ rules: RULES, config: queueOnly });
  node = n;
  const jobs = () => api<JobView[]>(n.url, '/api/v1/jobs?type=inference');
  const study = (await legSeries()).series.studyInstanceUID;
  const order: Record<string, string> = {};
  // One series at a time, each queued before the next is sent: creation order is the send order.
  for (const name of ['routine-1', 'urgent', 'routine-2']) {
    const s = await legSeries({ description: `T1 ${name}`, studyInstanceUID: study });
    t.is((await stowParts(n.url, s.series.files)).status, 200);
    order[s.series.seriesInstanceUID] = name;
    const count = Object.keys(order).length;
    await waitFor(async () => (await jobs()).length === count, 60_000, `the job of ${name} queued`);
  }
  const queued = await jobs();
  t.true(queued.every((j) => j.state === 'created'), 'nothing ran yet');
  const nameOf = (j: JobView) => order[(j.data as { seriesInstanceUid: string }).seriesInstanceUid]!;
  t.deepEqual(Object.fromEntries(queued.map((j) => [nameOf(j), j.priority])), { 'routine-1': 0, urgent: 50, 'routine-2': 0 }, 'the rule priority is the job priority');
  const created = [...queued].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(nameOf);
  t.deepEqual(created, ['routine-1', 'urgent', 'routine-2']);

  // The same node with one inference worker: it takes the queue in its order.
  await n.stop();
  writeRoutingConfig(n.dataDir, { rules: RULES, config: { jobs: { concurrency: { inference: 1, delivery: 0 }, pollingIntervalSeconds: 0.5, retryDelaySeconds: 1 } } });
  await n.restart();
  const done = await waitFor(async () => {
    const js = await jobs();
    return js.length === 3 && js.every((j) => j.state === 'completed') ? js : undefined;
  }, 120_000, 'all three jobs completed');
  const ran = [...done].sort((a, b) => a.startedAt!.localeCompare(b.startedAt!)).map(nameOf);
  t.deepEqual(ran, ['urgent', 'routine-1', 'routine-2']);
});
