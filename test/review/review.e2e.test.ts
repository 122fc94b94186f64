/**
 * Issue 5's proof, in a real browser: Debian's Chromium (headless, software rendering), driven by
 * playwright-core against a dafne-node process with reader tokens. A reader signs in on /review,
 * opens a study with an AI SEG in the Dafne review mode of the pinned OHIF viewer, loads the result
 * as a labelmap, paints with OHIF's Brush (a mouse drag) and erases elsewhere, and saves the
 * correction; the node then holds a corrected SEG (STOW-RS from OHIF) that references the source
 * series, differs from the AI SEG, passes dciodvfy, and the review names the reader with Dice < 1.
 * Accept and Reject run through the panel too. If a new OHIF version breaks loading the extension,
 * the first wait fails with the viewer's console errors in the message.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { readSeg } from '../../src/seg/seg-reader.js';
import { REPO_ROOT, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { dciodvfy } from '../helpers/validators.js';
import { waitFor } from '../helpers/wait.js';
import { ADMIN, bearer, makeStudy, READER, storeAndRegister, tokensYaml, type StudyWithAiSeg } from './review-fixtures.js';
import { testNeeding } from '../helpers/declare.js';

// Every test here drives the real peer(s); without them they are skipped with the reason (requirements.ts).
const test = testNeeding('chromium', 'dicom3tools');

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface Case {
  study: StudyWithAiSeg;
  resultId: string;
}

let node: NodeProcess;
let context: BrowserContext;
let profile = '';
const cases: Record<'correct' | 'accept' | 'reject', Case> = {} as never;
/** Console errors and page errors, with the URL of the page that logged them. */
const problems: { page: string; text: string }[] = [];

test.before(async () => {
  for (const f of [path.join(REPO_ROOT, 'dist/viewer-ext/extension.js'), path.join(REPO_ROOT, 'vendor/ohif')]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run "npm run build" (it fetches the viewer and builds the extension)`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  node = await startNodeProcess({ configYaml: tokensYaml() });
  let seed = 21;
  for (const name of ['correct', 'accept', 'reject'] as const) {
    const study = await makeStudy(seed++);
    cases[name] = { study, resultId: await storeAndRegister(node.url, study) };
  }
  profile = mkdtempSync(path.join(os.tmpdir(), 'dafne-chromium-'));
  // A fresh profile per run; Playwright takes the profile directory as launchPersistentContext's argument.
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1100, height: 720 } });
});

test.after.always(async () => {
  await context?.close().catch(() => undefined);
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (node) {
    await node.stop();
    writeFileSync(path.join(ARTIFACTS, 'review-e2e-node.log'), node.log());
    node.cleanup();
  }
});

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push({ page: page.url(), text: m.text() });
  });
  page.on('pageerror', (e) => problems.push({ page: page.url(), text: `page error: ${e.message}\n${e.stack ?? ''}` }));
  return page;
}

/** Signs in on /review (token into sessionStorage), then opens the study from the worklist. */
async function openInReviewMode(page: Page, studyUid: string): Promise<void> {
  await page.goto(`${node.url}/review`);
  await page.locator('#token').fill(READER.token);
  await page.locator('#signin button').click();
  const link = page.locator(`tr[data-study="${studyUid}"] a`);
  await link.waitFor();
  await link.click();
  const panel = page.locator('[data-dafne-results="ready"]');
  await panel.waitFor({ timeout: 90_000 }).catch((err: Error) => {
    throw new Error(`the Dafne review panel did not appear (OHIF version change or extension loading broken?): ${err.message}\nconsole:\n${problems.map((p) => `${p.page}: ${p.text}`).join('\n')}`);
  });
}

const row = (page: Page, c: Case) => page.locator(`[data-dafne-result="${c.resultId}"]`);

async function api<T>(p: string): Promise<T> {
  const res = await fetch(`${node.url}${p}`, { headers: bearer(READER.token) });
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface ApiReview {
  action: string;
  reader: string;
  reason: string | null;
  correctedSeriesInstanceUid: string | null;
  correctedSopInstanceUid: string | null;
  dice: { label: string; dice: number }[] | null;
}

/** A horizontal mouse drag across the viewport, from (fx, fy) as fractions of its box, `dx` pixels long. */
async function drag(page: Page, fx: number, fy: number, dx: number): Promise<void> {
  const box = (await page.locator('canvas.cornerstone-canvas').first().boundingBox())!;
  const x = box.x + box.width * fx, y = box.y + box.height * fy;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(x + (dx * i) / 5, y);
  await page.mouse.up();
}

test.serial('Save correction: brush + eraser in OHIF, corrected SEG stored and reviewed with Dice', async (t) => {
  t.timeout(300_000);
  const c = cases.correct;
  const page = await newPage();
  await openInReviewMode(page, c.study.series.studyInstanceUID);
  await row(page, c).locator('[data-dafne-action="load"]').click();
  await row(page, c).locator('[data-dafne-loaded]').waitFor({ timeout: 60_000 });
  // OHIF's own hydration prompt for a SEG: the reader confirms.
  await page.getByRole('button', { name: 'Yes', exact: true }).click();
  await page.getByText('Do you want to open this Segmentation?').waitFor({ state: 'hidden' });
  await row(page, c).locator('[data-dafne-action="brush"]').click();
  await drag(page, 0.36, 0.45, 80); // across muscle: paints segment 1 where the AI said otherwise
  await row(page, c).locator('[data-dafne-action="eraser"]').click();
  await drag(page, 0.5, 0.6, 60); // erases AI labels elsewhere
  await page.screenshot({ path: path.join(ARTIFACTS, 'review-edited.png') });
  await row(page, c).locator('[data-dafne-action="save"]').click();
  // The node's record is the condition (the panel may be re-mounted by OHIF's tab switching).
  await waitFor(async () => (await api<ApiReview[]>(`/api/v1/reviews?result=${c.resultId}`)).length > 0, 60_000, 'the correction review').catch(async (err: Error) => {
    const panel = await page.locator('[data-dafne-panel]').innerText().catch(() => '(panel not shown)');
    throw new Error(`no correction recorded: ${err.message}\npanel: ${panel}\nconsole:\n${problems.map((p) => `${p.page}: ${p.text}`).join('\n')}`);
  });
  await row(page, c).and(page.locator('[data-status="corrected"]')).waitFor();
  await page.locator('[data-dafne-panel]').screenshot({ path: path.join(ARTIFACTS, 'review-panel.png') });

  const reviews = await api<ApiReview[]>(`/api/v1/reviews?result=${c.resultId}`);
  t.is(reviews.length, 1);
  const r = reviews[0]!;
  t.is(r.action, 'correct');
  t.is(r.reader, READER.name, 'the reader comes from the token');
  t.truthy(r.dice && r.dice.some((d) => d.dice < 1), `some segment changed: ${JSON.stringify(r.dice)}`);
  const result = await api<{ status: string }>(`/api/v1/results/${c.resultId}`);
  t.is(result.status, 'corrected');

  // The corrected SEG as stored by OHIF's STOW-RS: valid, on the source series, different from the AI's.
  const res = await fetch(`${node.url}/dicomweb/studies/${c.study.series.studyInstanceUID}/series/${r.correctedSeriesInstanceUid}/instances/${r.correctedSopInstanceUid}`, {
    headers: { ...bearer(ADMIN.token), Accept: 'multipart/related; type="application/dicom"' },
  });
  t.is(res.status, 200);
  const corrected = firstPart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '');
  const file = path.join(ARTIFACTS, 'corrected-seg.dcm');
  writeFileSync(file, corrected);
  t.deepEqual((await dciodvfy(file)).errors, [], 'dciodvfy errors in the corrected SEG');
  const corr = readSeg(corrected, c.study.grid);
  const ai = readSeg(c.study.seg, c.study.grid);
  t.is(corr.referencedSeriesUid, c.study.series.seriesInstanceUID, 'references the source series');
  let painted = 0, erased = 0;
  for (let i = 0; i < ai.labels.data.length; i++) {
    const a = ai.labels.data[i]!, b = corr.labels.data[i]!;
    if (b !== 0 && b !== a) painted++;
    if (a !== 0 && b === 0) erased++;
  }
  t.true(painted > 0, 'the brush stroke is in the corrected SEG');
  t.true(erased > 0, 'the eraser stroke is in the corrected SEG');
  t.deepEqual(ourProblems(), [], 'console errors from our code');
  await page.close();
});

test.serial('Accept in the panel records an accepted review by the reader', async (t) => {
  t.timeout(180_000);
  const c = cases.accept;
  const page = await newPage();
  await openInReviewMode(page, c.study.series.studyInstanceUID);
  await row(page, c).locator('[data-dafne-action="accept"]').click();
  await page.locator('[data-dafne-last-review="accept"]').waitFor();
  const [r] = await api<ApiReview[]>(`/api/v1/reviews?result=${c.resultId}`);
  t.is(r?.action, 'accept');
  t.is(r?.reader, READER.name);
  t.is((await api<{ status: string }>(`/api/v1/results/${c.resultId}`)).status, 'accepted');
  t.deepEqual(ourProblems(), []);
  await page.close();
});

test.serial('Reject in the panel needs a reason and records it', async (t) => {
  t.timeout(180_000);
  const c = cases.reject;
  const page = await newPage();
  await openInReviewMode(page, c.study.series.studyInstanceUID);
  const reject = row(page, c).locator('[data-dafne-action="reject"]');
  t.true(await reject.isDisabled(), 'no reason, no reject');
  await row(page, c).locator('[data-dafne-reason]').fill('tibia labelled as muscle');
  await reject.click();
  await page.locator('[data-dafne-last-review="reject"]').waitFor();
  const [r] = await api<ApiReview[]>(`/api/v1/reviews?result=${c.resultId}`);
  t.is(r?.action, 'reject');
  t.is(r?.reason, 'tibia labelled as muscle');
  t.is(r?.reader, READER.name);
  const audit = await api<{ action: string; actor: string }[]>(`/api/v1/reviews/audit?result=${c.resultId}`);
  t.deepEqual(audit.map((a) => [a.action, a.actor]), [['review.reject', READER.name], ['result.registered', ADMIN.name]]);
  t.deepEqual(ourProblems(), []);
  await page.close();
});

/**
 * Console errors that come from our code: the extension, the mode, the review page, or the node's
 * API and DICOMweb answering an error. (A 401 from /review's own "who am I" before sign-in is expected.)
 */
function ourProblems(): string[] {
  return problems
    .filter((p) => /viewer-ext|dafne/i.test(p.text) || (/status of (4|5)\d\d/.test(p.text) && !new URL(p.page).pathname.startsWith('/review')))
    .map((p) => `${p.page}: ${p.text}`);
}

/** The first part of a multipart/related answer (WADO-RS instance retrieval). */
function firstPart(body: Buffer, contentType: string): Buffer {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return body;
  const delim = Buffer.from(`--${boundary}`);
  const start = body.indexOf(delim);
  const headerEnd = body.indexOf('\r\n\r\n', start) + 4;
  const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd);
  return body.subarray(headerEnd, next);
}
