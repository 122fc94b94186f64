import type { JobView } from '../../src/jobs/job-list.js';
import type { EvaluationView } from '../../src/routing/route-series.js';
import type { SeriesOverview } from '../../src/routing/series-overview.js';
import type { StudyWaitView } from '../../src/routing/study-waits.js';
import type { NodeProcess } from '../helpers/node-process.js';
import { startOrthanc, type OrthancHarness } from '../helpers/orthanc.js';
import { testNeeding } from '../helpers/declare.js';
import { api, legSeries, MODEL_ID, segInstances, startRoutingNode } from '../helpers/routing-fixture.js';
import { stowParts } from '../helpers/stow-client.js';
import { waitFor } from '../helpers/wait.js';

const test = testNeeding('orthanc');

/**
 * Study rules end to end (issue 17 item 6): `dafne-node serve` as a process (PGlite, the exact
 * threshold model), a real Orthanc as the PACS. A study rule waiting for t1 and dixon fires once
 * after both arrived, across a restart of the node in between, and its SEG (of the input t1)
 * arrives in Orthanc once; at the timeout with dixon missing, `onTimeout: skip` ends the wait with
 * "timed out after N s: study lacks series dixon" and no job, `onTimeout: run` runs on t1 anyway.
 * The tests share one node and one Orthanc and run in order.
 */
let node: NodeProcess;
let pacs: OrthancHarness;

const required = [
  { name: 't1', when: { SeriesDescription: { wildcard: '*t1*' } } },
  { name: 'dixon', when: { SeriesDescription: { wildcard: '*dixon*' } } },
];
// Each rule takes the series whose description starts with its letter: one study per scenario.
const studyRule = (id: string, letter: string, timeoutSeconds: number, onTimeout: 'skip' | 'run') => ({
  id,
  trigger: 'study',
  quietSeconds: 0.5,
  when: { SeriesDescription: { wildcard: `${letter} *` } },
  study: { requiredSeries: required, input: 't1', timeoutSeconds, onTimeout },
  model: MODEL_ID,
  destinations: ['pacs'],
});

test.before(async () => {
  pacs = await startOrthanc({});
  node = await startRoutingNode({
    destinations: [{ name: 'pacs', url: `${pacs.url}/dicom-web`, timeoutSeconds: 10 }],
    rules: [studyRule('study-a', 'A', 3600, 'skip'), studyRule('study-b', 'B', 4, 'skip'), studyRule('study-c', 'C', 2, 'run')],
  });
});

test.after.always(async () => {
  await Promise.all([pacs?.stop(), node?.stop()]);
  node?.cleanup();
});

async function stow(description: string, studyInstanceUID?: string): Promise<{ series: string; study: string }> {
  const s = await legSeries({ description, studyInstanceUID });
  const r = await stowParts(node.url, s.series.files);
  if (r.status !== 200) throw new Error(`STOW-RS answered ${r.status}`);
  return { series: s.series.seriesInstanceUID, study: s.series.studyInstanceUID };
}

const waitOf = async (study: string): Promise<StudyWaitView | undefined> => (await api<StudyWaitView[]>(node.url, `/api/v1/study-waits?study=${study}`))[0];
const waitState = (study: string, state: string, what: string) => waitFor(async () => {
  const w = await waitOf(study);
  return w?.state === state ? w : undefined;
}, 90_000, what);
const jobsOf = async (ruleId: string): Promise<JobView[]> => (await api<JobView[]>(node.url, '/api/v1/jobs?type=inference')).filter((j) => (j.data as { ruleId: string }).ruleId === ruleId);
const segs = (study: string) => segInstances(`${pacs.url}/dicom-web`, study);

let b: { series: string; study: string };

test.serial('a study rule waits for t1 and dixon across a restart, fires once, and its SEG of t1 reaches the PACS once', async (t) => {
  const t1 = await stow('A t1 leg');
  b = await stow('B t1 leg');
  const waiting = await waitState(t1.study, 'waiting', 'the wait of study A');
  t.deepEqual(waiting.missing, ['dixon']);
  t.is((await waitState(b.study, 'waiting', 'the wait of study B')).ruleId, 'study-b');
  const ev = await api<EvaluationView[]>(node.url, `/api/v1/evaluations?series=${t1.series}`);
  t.is(ev[0]?.outcome, 'study-wait');
  t.deepEqual(await jobsOf('study-a'), []);

  // The waits live in the database: a restarted node carries on with them.
  await node.stop();
  await node.restart();
  const dixon = await stow('A dixon leg', t1.study);
  const fired = await waitState(t1.study, 'fired', 'study A fired');
  t.is(fired.inputSeriesInstanceUid, t1.series);
  t.deepEqual(fired.required.map((r) => [r.name, r.seriesInstanceUid]), [['t1', t1.series], ['dixon', dixon.series]]);
  await waitFor(async () => (await segs(t1.study)).length > 0, 90_000, 'the SEG of study A in Orthanc');

  // One more series of the study after it fired (neither t1 nor dixon): evaluated, no second job.
  const extra = await stow('A localizer', t1.study);
  await waitFor(async () => (await api<EvaluationView[]>(node.url, `/api/v1/evaluations?series=${extra.series}`)).length > 0, 60_000, 'the extra series evaluated');
  const jobs = await jobsOf('study-a');
  t.is(jobs.length, 1, 'fired once');
  t.is((jobs[0]!.data as { seriesInstanceUid: string }).seriesInstanceUid, t1.series, 'on the input series');
  await waitFor(async () => (await api<JobView>(node.url, `/api/v1/jobs/${jobs[0]!.id}`)).state === 'completed', 60_000, 'the study job completed');
  const overview = await api<SeriesOverview[]>(node.url, `/api/v1/series?study=${t1.study}`);
  t.deepEqual(overview.find((s) => s.seriesInstanceUid === dixon.series)?.results, [], 'dixon is required, not segmented');
  t.is(overview.find((s) => s.seriesInstanceUid === t1.series)?.results.length, 1);
  t.is((await segs(t1.study)).length, 1, 'one SEG in Orthanc');
});

test.serial('at the timeout with dixon missing: onTimeout skip ends with the reason and no job; onTimeout run runs on t1', async (t) => {
  const skipped = await waitState(b.study, 'timed-out', 'study B timed out');
  t.is(skipped.reason, 'timed out after 4 s: study lacks series dixon');
  t.deepEqual(skipped.missing, ['dixon']);
  t.deepEqual(await jobsOf('study-b'), []);
  t.deepEqual(await segs(b.study), []);

  const c = await stow('C t1 leg');
  const ran = await waitState(c.study, 'fired', 'study C fired at its timeout');
  t.is(ran.reason, 'timed out after 2 s: study lacks series dixon; onTimeout run: ran on t1 anyway');
  const [job] = await jobsOf('study-c');
  t.is((job?.data as { seriesInstanceUid: string }).seriesInstanceUid, c.series);
  t.is((job?.data as { study: { reason: string } }).study.reason, ran.reason!);
  const seg = await waitFor(async () => {
    const s = await segs(c.study);
    return s.length ? s : undefined;
  }, 90_000, 'the SEG of study C in Orthanc');
  t.is(seg.length, 1);
});
